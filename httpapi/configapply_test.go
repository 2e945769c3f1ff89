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
