package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

// The original's agents report packages[] in the heartbeat; GET
// /servers/{id}/packages answers in the original's shape. A present list
// (even empty) replaces the stored one, an absent one keeps it; a package
// reported again keeps its detected_at.
func TestServerPackages(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		pkgs := func(list ...map[string]any) map[string]any {
			m := hb("pk", time.Now())
			m["packages"] = append([]map[string]any{}, list...)
			m["updates_available"], m["security_updates"] = len(list), 0
			return m
		}
		openssl := map[string]any{"name": "openssl", "current_version": "3.0.13-1~deb12u1", "new_version": "3.0.14-1~deb12u1", "repository": "bookworm-security", "is_security": true}
		curl := map[string]any{"name": "curl", "current_version": "7.88.1-10", "new_version": "7.88.1-10+deb12u5", "repository": "bookworm", "is_security": false}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", pkgs(openssl, curl)), 200)
		m := a.op("GET", "/api/v1/servers/pk/packages", nil).json(t)
		list := m["packages"].([]any)
		if m["server_id"] != "pk" || m["total_count"] != 2.0 || m["security_count"] != 1.0 || m["last_checked"] == nil || len(list) != 2 ||
			list[0].(map[string]any)["name"] != "curl" || list[1].(map[string]any)["is_security"] != true || list[1].(map[string]any)["detected_at"] == nil {
			t.Fatalf("packages %v", m)
		}
		first := list[1].(map[string]any)["detected_at"]
		// Absent: kept. Present with one gone: replaced, openssl keeps detected_at.
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("pk", time.Now())), 200)
		if m := a.op("GET", "/api/v1/servers/pk/packages", nil).json(t); m["total_count"] != 2.0 {
			t.Fatalf("absent list dropped packages: %v", m)
		}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", pkgs(openssl)), 200)
		m = a.op("GET", "/api/v1/servers/pk/packages", nil).json(t)
		if m["total_count"] != 1.0 || m["packages"].([]any)[0].(map[string]any)["detected_at"] != first {
			t.Fatalf("after curl was upgraded %v", m)
		}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", pkgs()), 200)
		if m := a.op("GET", "/api/v1/servers/pk/packages", nil).json(t); m["total_count"] != 0.0 || jsonString(m["packages"]) != "[]" {
			t.Fatalf("empty list %v", m)
		}
		expectCode(t, a.op("GET", "/api/v1/servers/ghost/packages", nil), 404, "NOT_FOUND")
		bad := map[string]any{"name": "x", "current_version": "", "new_version": "1", "repository": "r", "is_security": false}
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", pkgs(bad)), "body.packages.0")
		bad = map[string]any{"name": strings.Repeat("n", 256), "current_version": "1", "new_version": "2", "repository": "r"}
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", pkgs(bad)), "body.packages.0.name")
	})
}
