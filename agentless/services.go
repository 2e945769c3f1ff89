package agentless

import (
	"context"
	"strings"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// listUnits is the fixed command of service discovery.
const listUnits = `systemctl list-units --type=service --all --no-legend --no-pager --plain`

// DiscoveredService is a systemd service found on a host over SSH.
type DiscoveredService struct {
	Name        string `json:"name"`
	Status      string `json:"status"` // active state: active, inactive, failed
	SubState    string `json:"sub_state"`
	Description string `json:"description"`
}

// DiscoverServices lists a host's systemd services over SSH, to pick
// expected services from: a server's (its target and credentials) when
// serverID is set, else host/port/user with the defaults.
func (s *Service) DiscoverServices(ctx context.Context, actor, serverID, host string, port int, user string) ([]DiscoveredService, error) {
	var t sshx.Target
	var err error
	if serverID != "" {
		t, err = s.ServerTarget(ctx, serverID)
	} else {
		t, err = s.target(ctx, host, port, user)
	}
	if err != nil {
		return nil, err
	}
	conn, err := s.connect(ctx, actor, "service_discovery", t, serverID)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
	defer cancel()
	out, err := conn.Run(cctx, listUnits, 1<<20)
	if err != nil {
		return nil, err
	}
	if out.ExitCode != 0 && strings.TrimSpace(out.Stdout) == "" {
		return nil, homelabcmd.Errorf(homelabcmd.EBADREQUEST, "systemctl failed on %s: %s", t.Addr(), truncate(strings.TrimSpace(out.Stderr), 300))
	}
	return ParseUnits(out.Stdout), nil
}

// ParseUnits reads `systemctl list-units --plain --no-legend` lines:
// UNIT LOAD ACTIVE SUB DESCRIPTION…; units that are not loaded are left out.
func ParseUnits(out string) []DiscoveredService {
	list := []DiscoveredService{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasSuffix(f[0], ".service") || f[1] != "loaded" {
			continue
		}
		list = append(list, DiscoveredService{Name: strings.TrimSuffix(f[0], ".service"), Status: f[2], SubState: f[3], Description: strings.Join(f[4:], " ")})
	}
	return list
}

// ImportCheck says whether a host name or address is a server already.
func (s *Service) ImportCheck(ctx context.Context, hostname string) (*string, error) {
	servers, err := s.store.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	short := strings.SplitN(hostname, ".", 2)[0]
	for _, srv := range servers {
		if srv.Hostname == hostname || (srv.IPAddress != nil && *srv.IPAddress == hostname) || srv.ID == slug(short) && short != "" {
			id := srv.ID
			return &id, nil
		}
	}
	return nil, nil
}

// TestTailscaleDevice tests an SSH login to a tailnet device at its
// Tailscale address with the default credentials. ENOTFOUND.
func (s *Service) TestTailscaleDevice(ctx context.Context, actor, deviceID string) (*SSHTestResult, error) {
	devices, err := s.TailscaleDevices(ctx, actor)
	if err != nil {
		return nil, err
	}
	for _, d := range devices {
		if d.DeviceID == deviceID {
			host := d.IP
			if host == "" {
				host = d.Hostname
			}
			return s.TestHost(ctx, actor, host, 0, "")
		}
	}
	return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Tailscale device '%s' not found", deviceID)
}
