package agentless

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
)

// Connectivity: how the hub reaches machines without an agent — over
// their tailnet (Tailscale hostnames) or directly by address (the
// original's /settings/connectivity). The mode is stored; when none was
// chosen it is tailscale if an API key is configured, else direct_ssh.

// Connectivity modes.
const (
	ModeTailscale = "tailscale"
	ModeDirectSSH = "direct_ssh"
)

// ConnectivitySettings is the original's connectivity answer.
type ConnectivitySettings struct {
	Mode             string `json:"mode"`
	ModeAutoDetected bool   `json:"mode_auto_detected"`
	Tailscale        struct {
		Configured bool   `json:"configured"`
		Tailnet    string `json:"tailnet"`
	} `json:"tailscale"`
	SSH struct {
		Username      string `json:"username"`
		KeyConfigured bool   `json:"key_configured"`
	} `json:"ssh"`
}

// Connectivity returns the mode and what it relies on.
func (s *Service) Connectivity(ctx context.Context) (*ConnectivitySettings, error) {
	ts, err := s.Tailscale(ctx)
	if err != nil {
		return nil, err
	}
	ssh, err := s.SSHSettings(ctx)
	if err != nil {
		return nil, err
	}
	mode, err := s.store.RemoteSetting(ctx, "connectivity_mode")
	if err != nil {
		return nil, err
	}
	out := &ConnectivitySettings{Mode: mode}
	if mode == "" {
		out.Mode, out.ModeAutoDetected = ModeDirectSSH, true
		if ts.Configured {
			out.Mode = ModeTailscale
		}
	}
	out.Tailscale.Configured, out.Tailscale.Tailnet = ts.Configured, ts.Tailnet
	out.SSH.Username, out.SSH.KeyConfigured = ssh.DefaultUsername, ssh.HasDefaultKey
	return out, nil
}

// SetConnectivity stores the mode (and the default SSH user when given).
// EINVALID for another mode; 400 TAILSCALE_NOT_CONFIGURED for tailscale
// without an API key.
func (s *Service) SetConnectivity(ctx context.Context, actor, mode string, sshUsername *string) (*ConnectivitySettings, error) {
	if mode != ModeTailscale && mode != ModeDirectSSH {
		return nil, homelabcmd.FieldError("mode", "mode must be tailscale or direct_ssh")
	}
	if mode == ModeTailscale {
		ts, err := s.Tailscale(ctx)
		if err != nil {
			return nil, err
		}
		if !ts.Configured {
			return nil, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Field: "mode", Message: "Tailscale is not configured: store an API key first",
				Data: map[string]any{"code": "TAILSCALE_NOT_CONFIGURED"}}
		}
	}
	if sshUsername != nil {
		if _, err := s.UpdateSSHSettings(ctx, SSHSettingsPatch{DefaultUsername: sshUsername}); err != nil {
			return nil, err
		}
	}
	if err := s.store.PutRemoteSetting(ctx, "connectivity_mode", mode); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "connectivity_set", Target: "hub", Detail: "mode " + mode})
	return s.Connectivity(ctx)
}
