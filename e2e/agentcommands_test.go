package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

// TestCommandsThroughAgent: a readwrite agent declares the commands
// capability, so the real hub hands POST /commands/execute to it (a
// run_command action, audited) instead of SSH; the request waits for the
// agent's result. The agent matches the same whitelist before running.
func TestCommandsThroughAgent(t *testing.T) {
	fake, bus := fakesystemd.New(t)
	fake.Add("plex.service")
	fake.Start("plex.service")
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	api(t, "POST", h.URL+"/api/v1/servers", `{"id":"e2e-nas","hostname":"e2e-nas"}`, nil)
	cfg := fmt.Sprintf("hub_url: %s\nserver_id: e2e-nas\napi_key: %s\nheartbeat_interval: 60\nmode: readwrite\nmonitored_services: [plex]\nsystemd_bus_address: %q\noutbox_dir: %s\npackage_updates: false\n",
		h.URL, testAPIKey, bus, filepath.Join(t.TempDir(), "outbox"))
	StartAgent(t, cfg, "-v")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var srv struct {
			Capabilities []string `json:"capabilities"`
		}
		api(t, "GET", h.URL+"/api/v1/servers/e2e-nas", "", &srv)
		if slices.Contains(srv.Capabilities, "commands") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent never declared commands: %v", srv.Capabilities)
		}
	}
	start := time.Now()
	var res struct {
		Success  bool   `json:"success"`
		ExitCode int    `json:"exit_code"`
		Stdout   string `json:"stdout"`
	}
	if code := api(t, "POST", h.URL+"/api/v1/servers/e2e-nas/commands/execute", `{"command":"uptime"}`, &res); code != 200 || !res.Success || !strings.Contains(res.Stdout, "load average") {
		t.Fatalf("uptime through the agent: %d %+v", code, res)
	}
	t.Logf("uptime through the agent answered in %v", time.Since(start).Round(time.Millisecond))
	if code := api(t, "POST", h.URL+"/api/v1/servers/e2e-nas/commands/execute", `{"command":"cat /etc/shadow"}`, nil); code != 400 {
		t.Fatalf("not whitelisted: %d", code)
	}
	var actions struct {
		Actions []struct {
			ActionType string `json:"action_type"`
			Status     string `json:"status"`
			Command    string `json:"command"`
		} `json:"actions"`
	}
	api(t, "GET", h.URL+"/api/v1/actions?server_id=e2e-nas", "", &actions)
	if len(actions.Actions) != 1 || actions.Actions[0].ActionType != "run_command" || actions.Actions[0].Status != "completed" || actions.Actions[0].Command != "uptime" {
		t.Fatalf("actions: %+v", actions.Actions)
	}
	var audit struct {
		Entries []struct {
			Action, Target, Detail, Outcome string
		} `json:"entries"`
	}
	api(t, "GET", h.URL+"/api/v1/settings/ssh/audit", "", &audit)
	found := false
	for _, e := range audit.Entries {
		found = found || e.Action == "command" && e.Target == "agent:e2e-nas" && e.Outcome == "ok" && strings.Contains(e.Detail, "through the agent")
	}
	if !found {
		t.Fatalf("audit: %+v", audit.Entries)
	}
}
