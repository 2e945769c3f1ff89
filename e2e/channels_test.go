package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Channels declared in a YAML file are created on start, updated on the next
// start, and shown through the API with their secrets masked.
func TestChannelsFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "channels.yaml")
	write := func(sev string) {
		body := "- name: phone\n  type: ntfy\n  min_severity: " + sev + "\n  alert_types: [offline]\n  config: {server_url: \"http://127.0.0.1:9\", topic: homelab, token: \"tk_file_secret\"}\n"
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	list := func(h *Hub) string {
		var out map[string]any
		if code := api(t, "GET", h.URL+"/api/v1/notifications/channels", "", &out); code != 200 {
			t.Fatalf("list channels: %d", code)
		}
		return jsonOf(out)
	}
	write("high")
	env := append(alertHubEnv(""), "HOMELAB_CMD_CHANNELS_FILE="+file)
	h := StartHub(t, dir, env)
	got := list(h)
	if !strings.Contains(got, `"name":"phone"`) || !strings.Contains(got, `"min_severity":"high"`) || strings.Contains(got, "tk_file_secret") {
		t.Fatalf("channels after first start: %s", got)
	}
	h.Stop(t)
	write("critical")
	h = StartHub(t, dir, env)
	if got := list(h); !strings.Contains(got, `"min_severity":"critical"`) || strings.Count(got, `"name":"phone"`) != 1 || !strings.Contains(got, `"alert_types":["offline"]`) {
		t.Fatalf("channels after the file changed: %s", got)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
