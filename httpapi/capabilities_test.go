package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// The original HomelabCmd's agents against this hub: the v2 agent declares
// no capabilities (it ignores pending_commands and does not watch the
// expected list); the v1 agent (version 1.x) runs restarts from
// pending_commands and reports them in command_results.
func TestOriginalAgents(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		orig := func(id, version string, extra map[string]any, services ...map[string]any) map[string]any {
			m := hb(id, time.Now(), services...)
			m["agent_version"] = version
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		t.Run("v2 agent: restart stays queued with a reason, unreported services raise no alert", func(t *testing.T) {
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", orig("v2box", "2.0.0", nil, svc("plex", "running"))), 200)
			expectStatus(t, a.op("POST", "/api/v1/servers/v2box/services", map[string]any{"service_name": "sonarr"}), 201)
			m := a.op("POST", "/api/v1/servers/v2box/services/plex/restart", nil).json(t)
			for range 4 {
				r := a.op("POST", "/api/v1/agents/heartbeat", orig("v2box", "2.0.0", nil, svc("plex", "stopped")))
				if got := jsonString(r.json(t)["pending_commands"]); got != "[]" {
					t.Fatalf("a v2 agent was handed %s", got)
				}
			}
			act := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", m["action_id"]), nil).json(t)
			if act["status"] != "approved" || !strings.Contains(fmt.Sprint(act["waiting_reason"]), "'restart_service' capability") {
				t.Fatalf("undeliverable action %v", act)
			}
			if srv := a.op("GET", "/api/v1/servers/v2box", nil).json(t); jsonString(srv["capabilities"]) != "[]" {
				t.Fatalf("capabilities %v", srv["capabilities"])
			}
			alerts := a.op("GET", "/api/v1/alerts?server_id=v2box", nil)
			if strings.Contains(string(alerts.Body), "sonarr") {
				t.Fatalf("an unwatched service raised an alert: %s", alerts.Body)
			}
			if svcs := a.op("GET", "/api/v1/servers/v2box/services", nil).json(t); svcs["agent_watches_expected"] != false {
				t.Fatalf("services %v", svcs)
			}
			// At the timeout it fails, and the trail says why it never went out.
			a.db.Now = func() time.Time { return time.Now().Add(11 * time.Minute) }
			defer func() { a.db.Now = time.Now }()
			if _, err := a.engine.ExpireActions(t.Context()); err != nil {
				t.Fatal(err)
			}
			act = a.op("GET", fmt.Sprintf("/api/v1/actions/%v", m["action_id"]), nil).json(t)
			if act["status"] != "failed" || !strings.Contains(jsonString(act["events"]), "never handed to the agent") {
				t.Fatalf("timed out %v", act)
			}
		})
		t.Run("our agent watching the list: the unreported service alerts", func(t *testing.T) {
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", ourHB("ours", time.Now(), svc("plex", "running"))), 200)
			expectStatus(t, a.op("POST", "/api/v1/servers/ours/services", map[string]any{"service_name": "sonarr"}), 201)
			for range 4 {
				expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", ourHB("ours", time.Now(), svc("plex", "running"))), 200)
			}
			if alerts := a.op("GET", "/api/v1/alerts?server_id=ours", nil); !strings.Contains(string(alerts.Body), "sonarr is not reported") {
				t.Fatalf("no missing alert: %s", alerts.Body)
			}
			if svcs := a.op("GET", "/api/v1/servers/ours/services", nil).json(t); svcs["agent_watches_expected"] != true {
				t.Fatalf("services %v", svcs)
			}
		})
		t.Run("v1 agent: runs the restart, reports command_results, hub acknowledges and finishes", func(t *testing.T) {
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", nil, svc("plex", "stopped"))), 200)
			ok := a.op("POST", "/api/v1/servers/v1box/services/plex/restart", nil).json(t)["action_id"]
			r := a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", nil, svc("plex", "stopped"))).json(t)
			cmds := r["pending_commands"].([]any)
			if len(cmds) != 1 || cmds[0].(map[string]any)["action_id"] != ok || cmds[0].(map[string]any)["command"] != "systemctl restart plex" {
				t.Fatalf("v1 agent not handed the restart: %v", r)
			}
			res := map[string]any{"command_results": []map[string]any{{"action_id": ok, "exit_code": 0, "stdout": "", "stderr": "",
				"executed_at": "2026-01-19T12:00:00", "completed_at": "2026-01-19T12:00:01.5"}}}
			r = a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", res, svc("plex", "running"))).json(t)
			if jsonString(r["results_acknowledged"]) != fmt.Sprintf("[%v]", ok) {
				t.Fatalf("results_acknowledged %v", r["results_acknowledged"])
			}
			act := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", ok), nil).json(t)
			if act["status"] != "completed" || act["exit_code"] != 0.0 || act["duration_ms"] != 1500.0 {
				t.Fatalf("finished action %v", act)
			}
			// A resend (the agent missed the answer) is acknowledged again, changing nothing.
			r = a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", res, svc("plex", "running"))).json(t)
			if jsonString(r["results_acknowledged"]) != fmt.Sprintf("[%v]", ok) {
				t.Fatalf("resend acknowledged %v", r["results_acknowledged"])
			}
			if act := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", ok), nil).json(t); act["status"] != "completed" || act["verified"] != true {
				t.Fatalf("after the unit reports running %v", act)
			}
			// A failed run fails the action with the agent's output; an
			// unknown id is acknowledged so the agent stops resending it.
			a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", nil, svc("nginx", "failed")))
			bad := a.op("POST", "/api/v1/servers/v1box/services/nginx/restart", nil).json(t)["action_id"]
			a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", nil, svc("nginx", "failed")))
			res = map[string]any{"command_results": []map[string]any{{"action_id": bad, "exit_code": 1, "stderr": "Job for nginx.service failed"}, {"action_id": 999999, "exit_code": 0}}}
			r = a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", res)).json(t)
			if jsonString(r["results_acknowledged"]) != fmt.Sprintf("[%v,999999]", bad) {
				t.Fatalf("results_acknowledged %v", r["results_acknowledged"])
			}
			act = a.op("GET", fmt.Sprintf("/api/v1/actions/%v", bad), nil).json(t)
			if act["status"] != "failed" || act["exit_code"] != 1.0 || act["stderr"] != "Job for nginx.service failed" {
				t.Fatalf("failed action %v", act)
			}
		})
		t.Run("another server's action is acknowledged but not touched", func(t *testing.T) {
			a.op("POST", "/api/v1/agents/heartbeat", ourHB("victim", time.Now(), svc("db", "stopped")))
			id := a.op("POST", "/api/v1/servers/victim/services/db/restart", nil).json(t)["action_id"]
			a.op("POST", "/api/v1/agents/heartbeat", ourHB("victim", time.Now(), svc("db", "stopped")))
			res := map[string]any{"command_results": []map[string]any{{"action_id": id, "exit_code": 0}}}
			a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", res))
			if act := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", id), nil).json(t); act["status"] != "executing" {
				t.Fatalf("another server's result finished the action: %v", act)
			}
		})
		t.Run("validation", func(t *testing.T) {
			expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", map[string]any{"capabilities": []string{"Restart Service"}})), "body.capabilities.0")
			expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", map[string]any{"command_results": []map[string]any{{"action_id": 0}}})), "body.command_results.0.action_id")
			many := make([]string, 33)
			for i := range many {
				many[i] = fmt.Sprintf("c%d", i)
			}
			expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", orig("v1box", "1.0.0", map[string]any{"capabilities": many})), "body.capabilities")
		})
	})
}

// POST /api/v1/actions as the original: 201 with the action; 422 for an
// unknown type or a missing service_name; 403 for a type not on the
// whitelist; 404 for an unknown server; 409 for an inactive one.
func TestCreateAction(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", ourHB("box", time.Now(), svc("plex", "stopped"))), 200)
		r := a.op("POST", "/api/v1/actions", map[string]any{"server_id": "box", "action_type": "restart_service", "service_name": "plex"})
		expectStatus(t, r, 201)
		m := r.json(t)
		if m["status"] != "approved" || m["approved_by"] != "auto" || m["command"] != "systemctl restart plex" || m["server_id"] != "box" || m["id"] == nil {
			t.Fatalf("created %v", m)
		}
		expectCode(t, a.op("POST", "/api/v1/actions", map[string]any{"server_id": "box", "action_type": "restart_service", "service_name": "plex"}), 409, "CONFLICT")
		for _, c := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
			field  string
		}{
			{"unknown type", map[string]any{"server_id": "box", "action_type": "format_disk"}, 422, "", "body.action_type"},
			{"missing type", map[string]any{"server_id": "box"}, 422, "", "body.action_type"},
			{"missing server", map[string]any{"action_type": "restart_service", "service_name": "plex"}, 422, "", "body.server_id"},
			{"restart without service", map[string]any{"server_id": "box", "action_type": "restart_service"}, 422, "", "body.service_name"},
			{"bad unit name", map[string]any{"server_id": "box", "action_type": "restart_service", "service_name": "plex;reboot"}, 422, "", "body.service_name"},
			{"bad alert id", map[string]any{"server_id": "box", "action_type": "restart_service", "service_name": "x", "alert_id": 0}, 422, "", "body.alert_id"},
			{"own route only", map[string]any{"server_id": "box", "action_type": "upgrade_agent"}, 403, "FORBIDDEN", ""},
			{"original shell command", map[string]any{"server_id": "box", "action_type": "apt_update"}, 403, "FORBIDDEN", ""},
			{"unknown server", map[string]any{"server_id": "ghost", "action_type": "restart_service", "service_name": "plex"}, 404, "NOT_FOUND", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := a.op("POST", "/api/v1/actions", c.body)
				if c.field != "" {
					expectFieldError(t, r, c.field)
				} else {
					expectCode(t, r, c.status, c.code)
				}
			})
		}
		if l := a.op("GET", "/api/v1/actions?server_id=box", nil).json(t); l["total"] != 1.0 {
			t.Fatalf("refused requests stored actions: %v", l)
		}
	})
}

// A path that exists with other methods answers 405 with Allow, as the
// original (its framework's default); an unknown path stays 404.
func TestMethodNotAllowed(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		r := a.op("DELETE", "/api/v1/servers", nil)
		expectStatus(t, r, 405)
		if jsonString(r.json(t)["detail"]) != `"Method Not Allowed"` || r.Header.Get("Allow") != "GET, POST" {
			t.Fatalf("405 %s allow %q", r.Body, r.Header.Get("Allow"))
		}
		expectStatus(t, a.op("PATCH", "/api/v1/servers/x/pause", nil), 405)
		expectCode(t, a.op("GET", "/api/v1/no-such-thing", nil), 404, "NOT_FOUND")
	})
}

// Applying updates goes through the queue: created pending (a person
// approves), delivered only to an agent declaring "updates", its result
// carries the output and whether a reboot is needed; one active per server.
func TestApplyUpdatesAction(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", ourHB("deb", time.Now())), 200)
		r := a.op("POST", "/api/v1/actions", map[string]any{"server_id": "deb", "action_type": "apply_updates"})
		expectStatus(t, r, 201)
		m := r.json(t)
		if m["status"] != "pending" || m["service_name"] != nil {
			t.Fatalf("created %v", m)
		}
		id := m["id"]
		expectCode(t, a.op("POST", "/api/v1/actions", map[string]any{"server_id": "deb", "action_type": "apply_updates"}), 409, "CONFLICT")
		expectStatus(t, a.op("POST", fmt.Sprintf("/api/v1/actions/%v/approve", id), nil), 200)
		if got := jsonString(a.op("POST", "/api/v1/agents/heartbeat", ourHB("deb", time.Now())).json(t)["pending_commands"]); got != "[]" {
			t.Fatalf("delivered to an agent without the updates capability: %s", got)
		}
		if act := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", id), nil).json(t); !strings.Contains(fmt.Sprint(act["waiting_reason"]), "'updates'") {
			t.Fatalf("waiting reason %v", act["waiting_reason"])
		}
		h := ourHB("deb", time.Now())
		h["capabilities"] = []string{"expected_services", "restart_service", "updates"}
		cmds := a.op("POST", "/api/v1/agents/heartbeat", h).json(t)["pending_commands"].([]any)
		if len(cmds) != 1 || cmds[0].(map[string]any)["action_type"] != "apply_updates" || cmds[0].(map[string]any)["timeout_seconds"] != 1800.0 {
			t.Fatalf("pending_commands %v", cmds)
		}
		res := map[string]any{"success": true, "stdout": "Setting up openssl (3.0.14-1~deb12u1) ...", "duration_ms": 42000, "reboot_required": true}
		expectStatus(t, a.op("POST", fmt.Sprintf("/api/v1/agents/commands/%v/result?server_id=deb", id), res), 200)
		act := a.op("GET", fmt.Sprintf("/api/v1/actions/%v", id), nil).json(t)
		if act["status"] != "completed" || act["reboot_required"] != true || !strings.Contains(act["stdout"].(string), "openssl") ||
			!strings.Contains(jsonString(act["events"]), "needs a reboot") {
			t.Fatalf("completed %v", act)
		}
		expectStatus(t, a.op("POST", "/api/v1/actions", map[string]any{"server_id": "deb", "action_type": "apply_updates"}), 201)
	})
}

// cors_origins lets the configured origins' pages call the API with
// X-API-Key (the original allowed configured origins); others get no CORS
// headers, and no origin is ever allowed cookies.
func TestCORS(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		db, err := sqlstore.Open(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		s, _ := newServer(db)
		s.CORSOrigins = []string{"https://dash.example.lan"}
		hs := httptest.NewServer(s.Handler())
		defer hs.Close()
		pre := func(origin string) *http.Response {
			req, _ := http.NewRequest("OPTIONS", hs.URL+"/api/v1/servers", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "GET")
			req.Header.Set("Access-Control-Request-Headers", "x-api-key")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		if r := pre("https://dash.example.lan"); r.Header.Get("Access-Control-Allow-Origin") != "https://dash.example.lan" ||
			!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "x-api-key") || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("preflight from the allowed origin: %d %v", r.StatusCode, r.Header)
		}
		if r := pre("https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight from another origin allowed: %v", r.Header)
		}
		req, _ := http.NewRequest("GET", hs.URL+"/api/v1/servers", nil)
		req.Header.Set("Origin", "https://dash.example.lan")
		req.Header.Set("X-API-Key", testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://dash.example.lan" {
			t.Fatalf("GET from the allowed origin: %d %v", resp.StatusCode, resp.Header)
		}
	})
}
