package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestRestartActions(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan"}), 201)
		guid := homelabcmd.NewGUID()
		token, err := a.db.IssueAgentToken(t.Context(), "nas", guid)
		if err != nil {
			t.Fatal(err)
		}
		agent := func(method, path string, body any) response {
			t.Helper()
			return a.do(method, path, body, "X-Agent-Token", token, "X-Server-GUID", guid)
		}

		var first int64
		t.Run("queue, duplicate, validation", func(t *testing.T) {
			r := a.op("POST", "/api/v1/servers/nas/services/plex/restart", map[string]any{})
			expectStatus(t, r, 201)
			m := r.json(t)
			if m["status"] != "approved" || m["approved_by"] != "auto" || m["command"] != "systemctl restart plex" || m["action_type"] != "restart_service" {
				t.Fatalf("restart %v", m)
			}
			first = int64(m["action_id"].(float64))
			dup := a.op("POST", "/api/v1/servers/nas/services/plex/restart", nil)
			expectCode(t, dup, 409, "CONFLICT")
			if !strings.Contains(string(dup.Body), fmt.Sprintf(`"existing_action_id":%d`, first)) {
				t.Fatalf("409 without existing_action_id: %s", dup.Body)
			}
			expectCode(t, a.op("POST", "/api/v1/servers/ghost/services/plex/restart", nil), 404, "NOT_FOUND")
			expectFieldError(t, a.op("POST", "/api/v1/servers/nas/services/plex;reboot/restart", nil), "body.service_name")
		})

		t.Run("heartbeat delivers the command once, agent reports, hub verifies", func(t *testing.T) {
			r := agent("POST", "/api/v1/agents/heartbeat", ourHB("nas", time.Now(), svc("plex", "stopped")))
			cmds := r.json(t)["pending_commands"].([]any)
			if len(cmds) != 1 || cmds[0].(map[string]any)["action_type"] != "restart_service" ||
				cmds[0].(map[string]any)["parameters"].(map[string]any)["service_name"] != "plex" {
				t.Fatalf("pending_commands %s", r.Body)
			}
			r = agent("POST", "/api/v1/agents/heartbeat", ourHB("nas", time.Now(), svc("plex", "stopped")))
			if got := jsonString(r.json(t)["pending_commands"]); got != "[]" {
				t.Fatalf("command delivered twice: %s", got)
			}
			act := a.op("GET", fmt.Sprintf("/api/v1/actions/%d", first), nil).json(t)
			if act["status"] != "executing" || act["executed_at"] == nil {
				t.Fatalf("after delivery %v", act)
			}
			expectStatus(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%d/result", first), map[string]any{"success": true, "duration_ms": 420}), 200)
			expectCode(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%d/result", first), map[string]any{"success": true}), 409, "CONFLICT")
			agent("POST", "/api/v1/agents/heartbeat", ourHB("nas", time.Now().Add(time.Second), svc("plex", "running")))
			act = a.op("GET", fmt.Sprintf("/api/v1/actions/%d", first), nil).json(t)
			if act["status"] != "completed" || act["verified"] != true || act["duration_ms"] != 420.0 {
				t.Fatalf("after result %v", act)
			}
			var trail []string
			for _, e := range act["events"].([]any) {
				ev := e.(map[string]any)
				trail = append(trail, fmt.Sprintf("%v:%v", ev["actor"], ev["to_status"]))
			}
			if got := strings.Join(trail, " "); got != "api-key:approved agent:nas:executing agent:nas:completed" {
				t.Fatalf("audit trail %q", got)
			}
		})

		t.Run("maintenance mode waits for approval; reject and cancel", func(t *testing.T) {
			a.op("PUT", "/api/v1/servers/nas/pause", nil)
			r := a.op("POST", "/api/v1/servers/nas/services/sonarr/restart", nil)
			m := r.json(t)
			if m["status"] != "pending" {
				t.Fatalf("paused server restart %v", m)
			}
			id := int64(m["action_id"].(float64))
			r = agent("POST", "/api/v1/agents/heartbeat", ourHB("nas", time.Now(), svc("sonarr", "stopped")))
			if got := jsonString(r.json(t)["pending_commands"]); got != "[]" {
				t.Fatalf("pending action delivered: %s", got)
			}
			expectFieldError(t, a.op("POST", fmt.Sprintf("/api/v1/actions/%d/reject", id), map[string]any{"reason": ""}), "body.reason")
			rej := a.op("POST", fmt.Sprintf("/api/v1/actions/%d/reject", id), map[string]any{"reason": "not during the backup"}).json(t)
			if rej["status"] != "rejected" || rej["rejection_reason"] != "not during the backup" {
				t.Fatalf("reject %v", rej)
			}
			expectCode(t, a.op("POST", fmt.Sprintf("/api/v1/actions/%d/approve", id), nil), 409, "CONFLICT")

			m = a.op("POST", "/api/v1/servers/nas/services/sonarr/restart", nil).json(t)
			id = int64(m["action_id"].(float64))
			if ap := a.op("POST", fmt.Sprintf("/api/v1/actions/%d/approve", id), nil).json(t); ap["status"] != "approved" || ap["approved_by"] != "api-key" {
				t.Fatalf("approve %v", ap)
			}
			if c := a.op("POST", fmt.Sprintf("/api/v1/actions/%d/cancel", id), nil).json(t); c["status"] != "failed" || c["exit_code"] != -1.0 ||
				c["stderr"] != "Action cancelled by user" || c["failure_reason"] != "cancelled" || c["completed_at"] == nil {
				t.Fatalf("cancel %v", c)
			}
			a.op("PUT", "/api/v1/servers/nas/unpause", nil)
		})

		t.Run("long-poll answers at once when a restart is queued", func(t *testing.T) {
			done := make(chan response, 1)
			go func() { done <- agent("GET", "/api/v1/agents/commands?wait=20", nil) }()
			time.Sleep(200 * time.Millisecond) // let the poll start waiting
			m := a.op("POST", "/api/v1/servers/nas/services/radarr/restart", nil).json(t)
			var r response
			select {
			case r = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("long-poll did not answer after the restart was queued")
			}
			cmds := r.json(t)["commands"].([]any)
			if len(cmds) != 1 || cmds[0].(map[string]any)["action_id"] != m["action_id"] {
				t.Fatalf("long-poll %s", r.Body)
			}
			expectStatus(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%v/result", m["action_id"]),
				map[string]any{"success": false, "error": "unit radarr.service is not in this agent's allow-list"}), 200)
			f := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", m["action_id"]), nil).json(t)
			if f["status"] != "failed" || !strings.Contains(f["stderr"].(string), "allow-list") {
				t.Fatalf("failed action %v", f)
			}
			if got := agent("GET", "/api/v1/agents/commands?wait=0", nil).json(t); jsonString(got["commands"]) != "[]" {
				t.Fatalf("empty poll %v", got)
			}
		})

		t.Run("crash loop is refused", func(t *testing.T) {
			for i := range 3 {
				m := a.op("POST", "/api/v1/servers/nas/services/flappy/restart", nil).json(t)
				agent("GET", "/api/v1/agents/commands?wait=0", nil)
				expectStatus(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%v/result", m["action_id"]), map[string]any{"success": true}), 200)
				_ = i
			}
			r := a.op("POST", "/api/v1/servers/nas/services/flappy/restart", nil)
			expectCode(t, r, 409, "CONFLICT")
			if !strings.Contains(string(r.Body), "crash_loop") {
				t.Fatalf("crash-loop refusal %s", r.Body)
			}
		})

		t.Run("a token cannot report another server's action", func(t *testing.T) {
			a.op("POST", "/api/v1/servers", map[string]any{"id": "other", "hostname": "o"})
			m := a.op("POST", "/api/v1/servers/other/services/plex/restart", nil).json(t)
			expectCode(t, agent("POST", fmt.Sprintf("/api/v1/agents/commands/%v/result", m["action_id"]), map[string]any{"success": true}), 404, "NOT_FOUND")
			expectCode(t, agent("GET", "/api/v1/agents/commands?wait=0&server_id=other", nil), 403, "FORBIDDEN")
		})

		t.Run("list and timeout", func(t *testing.T) {
			l := a.op("GET", "/api/v1/actions?server_id=nas&limit=2", nil).json(t)
			if l["total"].(float64) < 6 || len(l["actions"].([]any)) != 2 {
				t.Fatalf("list %v", l)
			}
			expectFieldError(t, a.op("GET", "/api/v1/actions?limit=500", nil), "query.limit")
			expectCode(t, a.op("GET", "/api/v1/actions/999999", nil), 404, "NOT_FOUND")
			// The other server's approved restart is never picked up: time passes.
			a.db.Now = func() time.Time { return time.Now().Add(11 * time.Minute) }
			defer func() { a.db.Now = time.Now }()
			n, err := a.engine.ExpireActions(t.Context())
			if err != nil || n != 1 {
				t.Fatalf("expired %d, %v", n, err)
			}
			l = a.op("GET", "/api/v1/actions?server_id=other", nil).json(t)
			if act := l["actions"].([]any)[0].(map[string]any); act["status"] != "failed" || act["failure_reason"] != "timeout" {
				t.Fatalf("timed out action %v", act)
			}
		})
	})
}

// ourHB is a heartbeat of our agent: it declares that it watches the
// expected services and restarts units.
func ourHB(serverID string, ts time.Time, services ...map[string]any) map[string]any {
	m := hb(serverID, ts, services...)
	m["capabilities"] = []string{homelabcmd.CapExpectedServices, homelabcmd.CapRestartService, homelabcmd.CapUpgrade}
	return m
}
