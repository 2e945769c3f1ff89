package agentless

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/keyfile"
)

// Tailscale: the device list of a tailnet through the public API
// (GET /api/v2/tailnet/{tailnet}/devices with the API key as a bearer
// token). The key is sealed like SSH credentials.

const tailscaleAAD = "tailscale_token"

// TailscaleStatus says whether an API key is set, never the key.
type TailscaleStatus struct {
	Configured bool `json:"configured"`
	// Auth is what the hub authenticates with: oauth_client (preferred
	// when set), api_key, or "" (none).
	Auth    string `json:"auth"`
	Tailnet string `json:"tailnet"`
	APIURL  string `json:"api_url"`
}

// Tailscale returns the integration's status.
func (s *Service) Tailscale(ctx context.Context) (*TailscaleStatus, error) {
	sealed, err := s.store.RemoteSetting(ctx, "tailscale_token")
	if err != nil {
		return nil, err
	}
	tailnet, err := s.store.RemoteSetting(ctx, "tailscale_tailnet")
	if err != nil {
		return nil, err
	}
	if tailnet == "" {
		tailnet = "-"
	}
	st := &TailscaleStatus{Configured: sealed != "", Tailnet: tailnet, APIURL: s.TailscaleURL}
	if sealed != "" {
		st.Auth = "api_key"
	}
	if c, err := s.tailscaleOAuth(ctx); err != nil {
		return nil, err
	} else if c != nil {
		st.Configured, st.Auth = true, "oauth_client"
	}
	return st, nil
}

// checkTailnet validates a tailnet name ("" and "-" mean the credential's own).
func checkTailnet(tailnet string) (string, error) {
	if tailnet == "" {
		tailnet = "-"
	}
	if len(tailnet) > 200 || strings.ContainsAny(tailnet, "/?#% ") {
		return "", homelabcmd.FieldError("tailnet", "tailnet must be a tailnet name or -")
	}
	return tailnet, nil
}

// tailscaleSecret validates a Tailscale secret (field, described as what)
// and the tailnet, and returns them with the sealing box.
func (s *Service) tailscaleSecret(field, secret, what, tailnet string) (string, string, *keyfile.Box, error) {
	secret = strings.TrimSpace(secret)
	if len(secret) < 10 || len(secret) > 500 || strings.ContainsAny(secret, " \r\n\t") {
		return "", "", nil, homelabcmd.FieldError(field, "%s must be %s", field, what)
	}
	tailnet, err := checkTailnet(tailnet)
	if err != nil {
		return "", "", nil, err
	}
	box, err := s.keys()
	return secret, tailnet, box, err
}

// SetTailscaleToken seals and stores the API key (and the tailnet, "-"
// meaning the key's own). EINVALID.
func (s *Service) SetTailscaleToken(ctx context.Context, actor, token, tailnet string) (*TailscaleStatus, error) {
	token, tailnet, box, err := s.tailscaleSecret("token", token, "a Tailscale API key (tskey-api-…)", tailnet)
	if err != nil {
		return nil, err
	}
	if err := s.store.PutRemoteSetting(ctx, "tailscale_token", box.Seal([]byte(token), tailscaleAAD)); err != nil {
		return nil, err
	}
	if err := s.store.PutRemoteSetting(ctx, "tailscale_tailnet", tailnet); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "credential_set", Target: "tailscale", Credential: "tailscale api key"})
	return s.Tailscale(ctx)
}

// DeleteTailscaleToken removes the API key. ENOTFOUND.
func (s *Service) DeleteTailscaleToken(ctx context.Context, actor string) error {
	sealed, err := s.store.RemoteSetting(ctx, "tailscale_token")
	if err != nil {
		return err
	}
	if sealed == "" {
		return homelabcmd.Errorf(homelabcmd.ENOTFOUND, "No Tailscale API key is set")
	}
	if err := s.store.PutRemoteSetting(ctx, "tailscale_token", ""); err != nil {
		return err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "credential_delete", Target: "tailscale", Credential: "tailscale api key"})
	return nil
}

// tsDevice is the part of the API's device object the hub reads.
type tsDevice struct {
	ID                 string   `json:"id"`
	NodeID             string   `json:"nodeId"`
	Name               string   `json:"name"`
	Hostname           string   `json:"hostname"`
	Addresses          []string `json:"addresses"`
	OS                 string   `json:"os"`
	Tags               []string `json:"tags"`
	ConnectedToControl *bool    `json:"connectedToControl"`
}

// TailscaleDevices lists the tailnet's devices (audited as a use of the
// key). EBADREQUEST when no key is set or the API refuses it.
func (s *Service) TailscaleDevices(ctx context.Context, actor string) ([]homelabcmd.DiscoveredDevice, error) {
	st, err := s.Tailscale(ctx)
	if err != nil {
		return nil, err
	}
	if !st.Configured {
		return nil, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Message: "No Tailscale API key is set", Data: map[string]any{"code": "NO_TAILSCALE_TOKEN"}}
	}
	token, cred, secrets, err := s.tailscaleBearer(ctx)
	if err != nil {
		if cred != "" {
			s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "tailscale_devices", Target: st.Tailnet, Credential: cred, Outcome: "error", Detail: homelabcmd.ErrorMessage(err)})
		}
		return nil, err
	}
	u := strings.TrimRight(s.TailscaleURL, "/") + "/api/v2/tailnet/" + url.PathEscape(st.Tailnet) + "/devices"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	entry := homelabcmd.RemoteAudit{Actor: actor, Action: "tailscale_devices", Target: st.Tailnet, Credential: cred}
	fail := func(msg string) error {
		entry.Outcome, entry.Detail = "error", msg
		s.audit(ctx, entry)
		return &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Message: msg, Data: map[string]any{"code": "TAILSCALE_ERROR"}}
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		msg := err.Error()
		for _, sec := range secrets {
			msg = redact(msg, sec)
		}
		return nil, fail("The Tailscale API cannot be reached: " + msg)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(fmt.Sprintf("The Tailscale API answered %d (is the API key valid and not expired?)", resp.StatusCode))
	}
	var body struct {
		Devices []tsDevice `json:"devices"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&body); err != nil {
		return nil, fail("The Tailscale API's answer cannot be read")
	}
	out := make([]homelabcmd.DiscoveredDevice, 0, len(body.Devices))
	for _, d := range body.Devices {
		dev := homelabcmd.DiscoveredDevice{Source: "tailscale", Hostname: d.Name, OS: d.OS, DeviceID: d.ID, Tags: d.Tags, Online: d.ConnectedToControl, OpenPorts: []int{}}
		if dev.Hostname == "" {
			dev.Hostname = d.Hostname
		}
		for _, a := range d.Addresses {
			if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
				dev.IP = a
				break
			}
		}
		out = append(out, dev)
	}
	s.markKnown(ctx, out)
	entry.Detail = fmt.Sprintf("%d devices", len(out))
	s.audit(ctx, entry)
	return out, nil
}

func redact(s, secret string) string { return strings.ReplaceAll(s, secret, "[redacted]") }

// ImportTailscaleDevice creates a server for a tailnet device, reached at
// its Tailscale address. ENOTFOUND (no such device), ECONFLICT.
func (s *Service) ImportTailscaleDevice(ctx context.Context, actor, deviceID string, r ImportRequest) (*homelabcmd.Server, error) {
	devices, err := s.TailscaleDevices(ctx, actor)
	if err != nil {
		return nil, err
	}
	for _, d := range devices {
		if d.DeviceID != deviceID {
			continue
		}
		host := d.IP
		if host == "" {
			host = d.Hostname
		}
		if r.ServerID == "" {
			r.ServerID = slug(strings.SplitN(d.Hostname, ".", 2)[0])
		}
		r.Hostname = host
		srv := &homelabcmd.Server{ID: r.ServerID, Hostname: d.Hostname, DisplayName: r.DisplayName, MachineType: r.MachineType}
		return s.importServer(ctx, actor, "tailscale_import", srv, r)
	}
	return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Tailscale device '%s' not found", deviceID)
}

// Devices merges the newest sweep with the tailnet (when a key is set);
// a Tailscale failure is reported beside the network devices.
func (s *Service) Devices(ctx context.Context, actor string) (devices []homelabcmd.DiscoveredDevice, tailscaleErr string, err error) {
	devices = []homelabcmd.DiscoveredDevice{}
	latest, err := s.store.LatestDiscovery(ctx)
	if err != nil {
		return nil, "", err
	}
	if latest != nil {
		devices = append(devices, latest.Devices...)
		s.markKnown(ctx, devices)
	}
	st, err := s.Tailscale(ctx)
	if err != nil {
		return nil, "", err
	}
	if st.Configured {
		ts, err := s.TailscaleDevices(ctx, actor)
		if err != nil {
			return devices, homelabcmd.ErrorMessage(err), nil
		}
		devices = append(devices, ts...)
	}
	return devices, "", nil
}

// slug makes a server id of a host name.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}
