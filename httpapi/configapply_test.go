package httpapi_test

import (
	"fmt"
	"testing"
)

// TestConfigApplyAPI: applying a pack queues an action that waits for a
// person (one active per server); it cannot be created through
// POST /actions; a waiting apply can be cancelled; bad input is refused.
// (The apply itself runs against a real sshd in package agentless.)
func TestConfigApplyAPI(t *testing.T) {
	forEachAgentlessAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan"}), 201)
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/config/apply", map[string]any{}), "body.pack_name")
		expectCode(t, a.op("POST", "/api/v1/servers/nas/config/apply", map[string]any{"pack_name": "nope"}), 400, "UNKNOWN_PACK")
		expectStatus(t, a.op("POST", "/api/v1/servers/ghost/config/apply", map[string]any{"pack_name": "base"}), 404)

		r := a.op("POST", "/api/v1/servers/nas/config/apply", map[string]any{"pack_name": "base"})
		expectStatus(t, r, 202)
		body := r.json(t)
		if body["status"] != "pending" || body["pack_name"] != "base" || body["result"] != nil {
			t.Fatalf("apply: %s", r.Body)
		}
		id := int64(body["apply_id"].(float64))
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/config/apply", map[string]any{"pack_name": "base"}), 409)
		expectStatus(t, a.op("POST", "/api/v1/actions", map[string]any{"server_id": "nas", "action_type": "apply_config_pack"}), 403)

		r = a.op("GET", fmt.Sprintf("/api/v1/servers/nas/config/apply/%d", id), nil)
		expectStatus(t, r, 200)
		if b := r.json(t); b["status"] != "pending" || b["result"] != nil {
			t.Fatalf("get: %s", r.Body)
		}
		expectStatus(t, a.op("GET", fmt.Sprintf("/api/v1/servers/other/config/apply/%d", id), nil), 404)
		expectFieldError(t, a.op("GET", "/api/v1/servers/nas/config/apply/x", nil), "path.aid")

		r = a.op("DELETE", "/api/v1/servers/nas/config/apply", nil)
		expectStatus(t, r, 200)
		if b := r.json(t); b["status"] != "failed" {
			t.Fatalf("cancel: %s", r.Body)
		}
		expectStatus(t, a.op("DELETE", "/api/v1/servers/nas/config/apply", nil), 404)
		// Cancelled: a new one may be queued.
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/config/apply", map[string]any{"pack_name": "base"}), 202)
	})
}

// TestConnectivityAndSchedulesAPI: the connectivity mode is auto-detected
// until chosen, tailscale needs an API key; scan schedules are validated.
func TestConnectivityAndSchedulesAPI(t *testing.T) {
	forEachAgentlessAPI(t, func(t *testing.T, a *api) {
		r := a.op("GET", "/api/v1/settings/connectivity", nil)
		expectStatus(t, r, 200)
		if b := r.json(t); b["mode"] != "direct_ssh" || b["mode_auto_detected"] != true {
			t.Fatalf("connectivity: %s", r.Body)
		}
		expectCode(t, a.op("PUT", "/api/v1/settings/connectivity", map[string]any{"mode": "tailscale"}), 400, "TAILSCALE_NOT_CONFIGURED")
		expectFieldError(t, a.op("PUT", "/api/v1/settings/connectivity", map[string]any{"mode": "carrier-pigeon"}), "body.mode")
		r = a.op("PUT", "/api/v1/settings/connectivity", map[string]any{"mode": "direct_ssh", "ssh_username": "ops"})
		expectStatus(t, r, 200)
		if b := a.op("GET", "/api/v1/settings/connectivity", nil).json(t); b["mode_auto_detected"] != false || b["ssh"].(map[string]any)["username"] != "ops" {
			t.Fatalf("after put: %v", b)
		}
		if b := a.op("GET", "/api/v1/settings/connectivity/status", nil).json(t); b["ready"] != false {
			t.Fatalf("status without a key: %v", b)
		}

		expectFieldError(t, a.op("PUT", "/api/v1/scans/schedules", map[string]any{"hostname": "10.0.0.9", "interval_minutes": 1}), "body.interval_minutes")
		expectFieldError(t, a.op("PUT", "/api/v1/scans/schedules", map[string]any{"hostname": "bad host;", "interval_minutes": 60}), "body.hostname")
		r = a.op("PUT", "/api/v1/scans/schedules", map[string]any{"hostname": "10.0.0.9", "interval_minutes": 60})
		expectStatus(t, r, 200)
		if b := r.json(t); b["id"] != "10.0.0.9:22" || b["username"] != "ops" {
			t.Fatalf("schedule: %s", r.Body)
		}
		if b := a.op("GET", "/api/v1/scans/schedules", nil).json(t); b["total"] != float64(1) {
			t.Fatalf("list: %v", b)
		}
		expectStatus(t, a.op("DELETE", "/api/v1/scans/schedules/10.0.0.9:22", nil), 204)
		expectStatus(t, a.op("DELETE", "/api/v1/scans/schedules/10.0.0.9:22", nil), 404)
	})
}
