package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// originalConfig is a file as the original agent's installer wrote it.
const originalConfig = `
hub_url: "http://192.168.1.10:8080/"
server_id: "omv-mediaserver"
server_guid: "A1B2C3D4-E5F6-4890-ABCD-EF1234567890"
api_token: "hlh_ag_a1b2c3d4_0123456789abcdef"
heartbeat_interval: 60
monitored_services:
  - plex
  - sonarr
  - docker.socket
core_services: [plex]
mode: READWRITE
command_execution:
  enabled: false
  use_sudo: false
  timeout_seconds: 30
command_execution_enabled: false
`

func TestParseConfigOriginalFile(t *testing.T) {
	c, err := ParseConfig([]byte(originalConfig), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.HubURL = "http://192.168.1.10:8080"
	want.ServerID = "omv-mediaserver"
	want.ServerGUID = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
	want.AgentToken = "hlh_ag_a1b2c3d4_0123456789abcdef"
	want.MonitoredServices = []string{"plex", "sonarr", "docker.socket"}
	want.Mode = "readwrite"
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("config (-want +got):\n%s", diff)
	}
}

func TestParseConfigEnvironmentOverrides(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "key")
	os.WriteFile(secret, []byte("from-a-file-0123456789\n"), 0o600)
	env := []string{
		"HOMELAB_CMD_AGENT_HEARTBEAT_INTERVAL=30s",
		"HOMELAB_CMD_AGENT_MONITORED_SERVICES=nginx, postgresql@15-main ,",
		"HOMELAB_CMD_AGENT_API_KEY_FILE=" + secret,
		"HOMELAB_CMD_AGENT_OUTBOX_MAX_BYTES=8MB",
		"HOMELAB_CMD_AGENT_OUTBOX_MAX_AGE=2d",
		"HOMELAB_CMD_AGENT_SYSTEMD_BUS_ADDRESS=unix:path=/tmp/bus",
		"HOMELAB_CMD_AGENT_TLS_INSECURE_SKIP_VERIFY=true",
		"UNRELATED=1",
	}
	c, err := ParseConfig([]byte("hub_url: https://hub.lan\nserver_id: nas\napi_key: in-the-file\nheartbeat_interval: 90\n"), env, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.HeartbeatInterval != 30*time.Second || c.APIKey != "from-a-file-0123456789" || c.OutboxMaxBytes != 8<<20 ||
		c.OutboxMaxAge != 48*time.Hour || c.SystemdBusAddress != "unix:path=/tmp/bus" || !c.TLSInsecureSkipVerify ||
		strings.Join(c.MonitoredServices, "|") != "nginx|postgresql@15-main" {
		t.Fatalf("%+v", c)
	}
	// The environment alone is enough.
	c, err = ParseConfig(nil, []string{"HOMELAB_CMD_AGENT_HUB_URL=http://h:1", "HOMELAB_CMD_AGENT_SERVER_ID=a", "HOMELAB_CMD_AGENT_API_KEY=k"}, false)
	if err != nil || c.HubURL != "http://h:1" || c.HeartbeatInterval != time.Minute {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	base := "hub_url: http://hub:8080\nserver_id: nas\napi_key: k\n"
	tests := []struct {
		name    string
		yaml    string
		env     []string
		dryRun  bool
		wantErr []string // every fragment must appear
	}{
		{"empty file", "", nil, false, []string{"hub_url: required", "server_id: required", "api_key: authentication required"}},
		{"bad hub url", "hub_url: hub.lan\nserver_id: nas\napi_key: k\n", nil, false, []string{"hub_url:", "not an http"}},
		{"bad server id", "hub_url: http://h\nserver_id: My_Server\napi_key: k\n", nil, false, []string{"server_id:", "^[a-z0-9-]+$"}},
		{"token without guid", "hub_url: http://h\nserver_id: nas\napi_token: t\n", nil, false, []string{"server_guid: required with api_token"}},
		{"guid not v4", base + "server_guid: a1b2c3d4-e5f6-1890-abcd-ef1234567890\n", nil, false, []string{"server_guid:", "UUID v4"}},
		{"interval word", base + "heartbeat_interval: fast\n", nil, false, []string{"config file: heartbeat_interval:", "not a duration"}},
		{"interval too short", base + "heartbeat_interval: 1\n", nil, false, []string{"heartbeat_interval:", "out of range"}},
		{"interval list", base + "heartbeat_interval: [1]\n", nil, false, []string{"heartbeat_interval:", "not a list"}},
		{"unit name with shell", base + "monitored_services: [plex, 'rm -rf /']\n", nil, false, []string{"monitored_services[1]:"}},
		{"services not a list", base + "monitored_services: {a: 1}\n", nil, false, []string{"monitored_services:", "not a mapping"}},
		{"unknown key", base + "hub: x\n", nil, false, []string{"config file: hub: unknown key"}},
		{"mode", base + "mode: god\n", nil, false, []string{"mode:", "readonly or readwrite"}},
		{"outbox size", base + "outbox_max_bytes: lots\n", nil, false, []string{"outbox_max_bytes:", "not a size"}},
		{"outbox too small", base + "outbox_max_bytes: 10\n", nil, false, []string{"outbox_max_bytes:", "too small"}},
		{"ca file missing", base + "tls_ca_file: /nonexistent/ca.pem\n", nil, false, []string{"tls_ca_file:", "no such file"}},
		{"bool", base + "tls_insecure_skip_verify: maybe\n", nil, false, []string{"tls_insecure_skip_verify:", "true or false"}},
		{"env error names the variable", base, []string{"HOMELAB_CMD_AGENT_HEARTBEAT_INTERVAL=soon"}, false, []string{"environment HOMELAB_CMD_AGENT_HEARTBEAT_INTERVAL:"}},
		{"not yaml", "hub_url: [", nil, false, []string{"not a YAML mapping"}},
		{"dry run still needs a server id", "", nil, true, []string{"server_id: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml), tt.env, tt.dryRun)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// A dry run needs no hub or credential.
	if _, err := ParseConfig([]byte("server_id: nas\n"), nil, true); err != nil {
		t.Fatalf("dry run: %v", err)
	}
}

func TestParseConfigRestartAllowlist(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
		errPart    string
	}{
		{"list", "restart_allowlist: [nginx, backup.timer]\n", []string{"nginx", "backup.timer"}, ""},
		{"absent", "", nil, ""},
		{"bad unit name", "restart_allowlist: [nginx, 'x;y']\n", nil, "restart_allowlist[1]:"},
		{"not a list", "restart_allowlist: {a: 1}\n", nil, "restart_allowlist: must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte("hub_url: http://hub:8080\nserver_id: nas\napi_key: k\n"+tt.yaml), nil, false)
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("err %v, want %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.RestartAllowlist); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	c, err := ParseConfig(nil, []string{"HOMELAB_CMD_AGENT_RESTART_ALLOWLIST=nginx, cron", "HOMELAB_CMD_AGENT_SERVER_ID=nas"}, true)
	if err != nil || len(c.RestartAllowlist) != 2 || c.RestartAllowlist[1] != "cron" {
		t.Fatalf("from the environment: %v %+v", err, c)
	}
}
