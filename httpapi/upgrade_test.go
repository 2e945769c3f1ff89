package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Agent upgrades go through the action queue like restarts: approved at
// once or pending in maintenance, one active per server, delivered once
// with the target version, completed by the agent's result and verified
// when the agent reports the target version (unverified when it reports
// another one afterwards: a rollback).
func TestUpgradeActions(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		for _, id := range []string{"nas", "pi", "fresh"} {
			expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": id, "hostname": id + ".lan"}), 201)
		}
		guid := homelabcmd.NewGUID()
		token, err := a.db.IssueAgentToken(t.Context(), "nas", guid)
		if err != nil {
			t.Fatal(err)
		}
		agent := func(method, path string, body any) response {
			t.Helper()
			return a.do(method, path, body, "X-Agent-Token", token, "X-Server-GUID", guid)
		}
		beat := func(server, version string, at time.Time) response {
			t.Helper()
			h := ourHB(server, at)
			h["agent_version"] = version
			if server == "nas" {
				return agent("POST", "/api/v1/agents/heartbeat", h)
			}
			return a.op("POST", "/api/v1/agents/heartbeat", h)
		}
		now := time.Now()
		beat("nas", "0.0.1-old", now)
		beat("pi", homelabcmd.Version, now)
		srv := a.op("GET", "/api/v1/servers/nas", nil).json(t)
		if srv["agent_version"] != "0.0.1-old" || srv["agent_outdated"] != true {
			t.Fatalf("nas %v %v", srv["agent_version"], srv["agent_outdated"])
		}
		if pi := a.op("GET", "/api/v1/servers/pi", nil).json(t); pi["agent_outdated"] != false {
			t.Fatalf("pi outdated: %v", pi["agent_outdated"])
		}
		if f := a.op("GET", "/api/v1/servers/fresh", nil).json(t); f["agent_outdated"] != false {
			t.Fatalf("a server without a report is outdated: %v", f["agent_outdated"])
		}

		// Bulk: only the outdated online server.
		r := a.op("POST", "/api/v1/agents/upgrade-outdated", nil)
		expectStatus(t, r, 200)
		m := r.json(t)
		ids := m["action_ids"].([]any)
		if len(ids) != 1 || m["target_version"] != homelabcmd.Version {
			t.Fatalf("bulk %s", r.Body)
		}
		id := int64(ids[0].(float64))
		act := a.op("GET", fmt.Sprintf("/api/v1/actions/%d", id), nil).json(t)
		if act["server_id"] != "nas" || act["action_type"] != "upgrade_agent" || act["status"] != "approved" ||
			act["command"] != "upgrade homelabcmd agent to "+homelabcmd.Version {
			t.Fatalf("queued %v", act)
		}
		dup := a.op("POST", "/api/v1/servers/nas/agent/upgrade", nil)
		expectCode(t, dup, 409, "CONFLICT")
		if !strings.Contains(string(dup.Body), fmt.Sprintf(`"existing_action_id":%d`, id)) {
			t.Fatalf("409 without existing_action_id: %s", dup.Body)
		}
		again := a.op("POST", "/api/v1/agents/upgrade-outdated", nil).json(t)
		if len(again["action_ids"].([]any)) != 0 || len(again["skipped"].([]any)) != 1 {
			t.Fatalf("bulk again %v", again)
		}
		expectCode(t, a.op("POST", "/api/v1/servers/ghost/agent/upgrade", nil), 404, "NOT_FOUND")

		// Delivered once, with the target version.
		cmds := beat("nas", "0.0.1-old", now.Add(time.Second)).json(t)["pending_commands"].([]any)
		if len(cmds) != 1 {
			t.Fatalf("pending_commands %v", cmds)
		}
		c := cmds[0].(map[string]any)
		if c["action_type"] != "upgrade_agent" || c["parameters"].(map[string]any)["target_version"] != homelabcmd.Version {
			t.Fatalf("command %v", c)
		}
		expectStatus(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%d/result", id), map[string]any{"success": true, "duration_ms": 900}), 200)
		// The old agent's last report, then the new one's.
		beat("nas", "0.0.1-old", now.Add(2*time.Second))
		if act := a.op("GET", fmt.Sprintf("/api/v1/actions/%d", id), nil).json(t); act["status"] != "completed" || act["verified"] != false {
			t.Fatalf("after the old version's report %v", act["verified"])
		}
		beat("nas", homelabcmd.Version, now.Add(3*time.Second))
		act = a.op("GET", fmt.Sprintf("/api/v1/actions/%d", id), nil).json(t)
		if act["verified"] != true {
			t.Fatalf("after the new version's report %v", act)
		}
		if srv := a.op("GET", "/api/v1/servers/nas", nil).json(t); srv["agent_outdated"] != false {
			t.Fatal("still outdated")
		}
		// A rollback: the old version reports again.
		beat("nas", "0.0.1-old", now.Add(4*time.Second))
		if act := a.op("GET", fmt.Sprintf("/api/v1/actions/%d", id), nil).json(t); act["verified"] != false {
			t.Fatalf("after a rollback %v", act["verified"])
		}

		// Maintenance mode: pending until approved; a failed result.
		a.op("PUT", "/api/v1/servers/nas/pause", nil)
		p := a.op("POST", "/api/v1/servers/nas/agent/upgrade", nil)
		expectStatus(t, p, 201)
		pm := p.json(t)
		if pm["status"] != "pending" || pm["target_version"] != homelabcmd.Version {
			t.Fatalf("paused %v", pm)
		}
		pid := int64(pm["action_id"].(float64))
		if got := jsonString(beat("nas", "0.0.1-old", now.Add(5*time.Second)).json(t)["pending_commands"]); got != "[]" {
			t.Fatalf("pending upgrade delivered: %s", got)
		}
		expectStatus(t, a.op("POST", fmt.Sprintf("/api/v1/actions/%d/approve", pid), nil), 200)
		if n := len(beat("nas", "0.0.1-old", now.Add(6*time.Second)).json(t)["pending_commands"].([]any)); n != 1 {
			t.Fatalf("approved upgrade not delivered: %d", n)
		}
		expectStatus(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%d/result", pid),
			map[string]any{"success": false, "error": "checksum mismatch; nothing was replaced"}), 200)
		f := a.op("GET", fmt.Sprintf("/api/v1/actions/%d", pid), nil).json(t)
		if f["status"] != "failed" || f["failure_reason"] != "agent_error" || !strings.Contains(fmt.Sprint(f["stderr"]), "checksum mismatch") {
			t.Fatalf("failed upgrade %v", f)
		}
	})
}
