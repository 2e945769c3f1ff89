package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// The container API: declare, list (reported and expected), update,
// history, actions with the guard rails, delete; /services stays systemd
// only.
func TestContainerAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan"}), 201)
		guid := homelabcmd.NewGUID()
		token, err := a.db.IssueAgentToken(t.Context(), "nas", guid)
		if err != nil {
			t.Fatal(err)
		}
		beat := func(ts time.Time, containers ...map[string]any) response {
			t.Helper()
			body := hb("nas", ts, svc("plex", "running"))
			body["containers"] = containers
			body["capabilities"] = []string{homelabcmd.CapExpectedServices, homelabcmd.CapRestartService, homelabcmd.CapContainers}
			r := a.do("POST", "/api/v1/agents/heartbeat", body, "X-Agent-Token", token, "X-Server-GUID", guid)
			expectStatus(t, r, 200)
			return r
		}
		ctr := func(name, state string, exit int) map[string]any {
			return map[string]any{"name": name, "id": "0123abcd", "image": "busybox", "state": state, "health": "none", "exit_code": exit, "restart_count": 0}
		}

		expectStatus(t, a.op("POST", "/api/v1/servers/nas/containers", map[string]any{"container_name": "plex", "is_critical": true}), 201)
		expectCode(t, a.op("POST", "/api/v1/servers/nas/containers", map[string]any{"container_name": "plex"}), 409, "CONFLICT")
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/containers", map[string]any{"container_name": "bad name"}), "body.container_name")
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/containers", map[string]any{}), "body.container_name")
		expectCode(t, a.op("POST", "/api/v1/servers/ghost/containers", map[string]any{"container_name": "plex"}), 404, "NOT_FOUND")
		expectFieldError(t, a.do("POST", "/api/v1/agents/heartbeat", map[string]any{"server_id": "nas", "hostname": "nas", "timestamp": time.Now().Format(time.RFC3339),
			"containers": []any{map[string]any{"name": "x", "state": "zombie"}}}, "X-Agent-Token", token, "X-Server-GUID", guid), "body.containers.0.state")

		r := beat(time.Now(), ctr("plex", "exited", 1), ctr("adhoc", "running", 0))
		if got := jsonString(r.json(t)["expected_containers"]); got != `["plex"]` {
			t.Fatalf("expected_containers %s", got)
		}
		list := a.op("GET", "/api/v1/servers/nas/containers", nil).json(t)
		if list["total"] != float64(2) {
			t.Fatalf("containers %v", list)
		}
		first := list["containers"].([]any)[0].(map[string]any)
		if first["container_name"] != "plex" || first["expected"] != true || first["current_status"].(map[string]any)["status"] != "failed" {
			t.Fatalf("plex %v", first)
		}
		if svcs := a.op("GET", "/api/v1/servers/nas/services", nil).json(t); svcs["total"] != float64(0) {
			t.Fatalf("/services lists containers: %v", svcs)
		}
		alerts := a.op("GET", "/api/v1/alerts?server_id=nas", nil).json(t)["alerts"].([]any)
		if len(alerts) != 1 || alerts[0].(map[string]any)["alert_type"] != "container" || alerts[0].(map[string]any)["severity"] != "high" {
			t.Fatalf("alerts %v", alerts)
		}

		// Actions: the first is queued, a second on the same container is a conflict.
		q := a.op("POST", "/api/v1/servers/nas/containers/plex/start", nil)
		expectStatus(t, q, 201)
		m := q.json(t)
		if m["action_type"] != "start_container" || m["container_name"] != "plex" || m["command"] != "docker start plex" || m["status"] != "approved" {
			t.Fatalf("start %v", m)
		}
		expectCode(t, a.op("POST", "/api/v1/servers/nas/containers/plex/restart", nil), 409, "CONFLICT")
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/containers/bad;name/stop", nil), "body.container_name")
		// A systemd restart of a unit with the same name is another unit.
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/services/plex/restart", nil), 201)
		id := int64(m["action_id"].(float64))
		r = beat(time.Now().Add(time.Second), ctr("plex", "exited", 1))
		cmds := r.json(t)["pending_commands"].([]any)
		if len(cmds) != 2 {
			t.Fatalf("pending_commands %s", r.Body)
		}
		expectStatus(t, a.do("POST", fmt.Sprintf("/api/v1/agents/commands/%d/result", id), map[string]any{"success": true, "duration_ms": 200},
			"X-Agent-Token", token, "X-Server-GUID", guid), 200)
		beat(time.Now().Add(2*time.Second), ctr("plex", "running", 0))
		act := a.op("GET", fmt.Sprintf("/api/v1/actions/%d", id), nil).json(t)
		if act["status"] != "completed" || act["verified"] != true {
			t.Fatalf("start action %v", act)
		}

		hist := a.op("GET", "/api/v1/servers/nas/containers/plex/history", nil).json(t)
		if hist["container_name"] != "plex" || len(hist["history"].([]any)) != 3 {
			t.Fatalf("history %v", hist)
		}
		up := a.op("PUT", "/api/v1/servers/nas/containers/plex", map[string]any{"display_name": "Plex", "enabled": false})
		expectStatus(t, up, 200)
		if m := up.json(t); m["display_name"] != "Plex" || m["enabled"] != false {
			t.Fatalf("update %v", m)
		}
		expectStatus(t, a.op("DELETE", "/api/v1/servers/nas/containers/plex", nil), 204)
		expectCode(t, a.op("DELETE", "/api/v1/servers/nas/containers/plex", nil), 404, "NOT_FOUND")
	})
}
