package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServersAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		t.Run("operator key required", func(t *testing.T) {
			expectCode(t, a.do("GET", "/api/v1/servers", nil), 401, "UNAUTHORIZED")
			expectCode(t, a.do("GET", "/api/v1/servers", nil, "X-API-Key", "nope"), 401, "UNAUTHORIZED")
			expectStatus(t, a.do("GET", "/api/v1/system/health", nil), 200)
		})

		t.Run("create, conflict, validation", func(t *testing.T) {
			r := a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan", "display_name": "NAS", "machine_type": "server"})
			expectStatus(t, r, 201)
			m := r.json(t)
			for _, f := range []string{"id", "guid", "hostname", "display_name", "ip_address", "status", "is_paused", "paused_at",
				"last_seen", "machine_type", "latest_metrics", "active_alert_count", "active_alert_summaries", "created_at", "updated_at"} {
				if _, ok := m[f]; !ok {
					t.Errorf("ServerResponse lacks %q", f)
				}
			}
			if m["status"] != "unknown" {
				t.Fatalf("new server status %v", m["status"])
			}
			expectCode(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "x"}), 409, "CONFLICT")
			expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "Bad_ID", "hostname": "x"}), "body.id")
			expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "ok", "hostname": ""}), "body.hostname")
			expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "ok", "hostname": "x", "machine_type": "toaster"}), "body.machine_type")
			expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "ok", "hostname": "x", "tdp_watts": 20000}), "body.tdp_watts")
			expectFieldError(t, a.op("POST", "/api/v1/servers", map[string]any{"id": 12, "hostname": "x"}), "body.id")
		})

		t.Run("get, update, pause", func(t *testing.T) {
			expectCode(t, a.op("GET", "/api/v1/servers/ghost", nil), 404, "NOT_FOUND")
			r := a.op("PUT", "/api/v1/servers/nas", map[string]any{"display_name": "Big NAS", "machine_type": "workstation"})
			expectStatus(t, r, 200)
			if m := r.json(t); m["display_name"] != "Big NAS" || m["hostname"] != "nas.lan" || m["machine_type"] != "workstation" {
				t.Fatalf("update %v", m)
			}
			expectCode(t, a.op("PUT", "/api/v1/servers/ghost", map[string]any{"display_name": "x"}), 404, "NOT_FOUND")
			expectFieldError(t, a.op("PUT", "/api/v1/servers/nas", map[string]any{"hostname": ""}), "body.hostname")
			if m := a.op("PUT", "/api/v1/servers/nas/pause", nil).json(t); m["is_paused"] != true || m["paused_at"] == nil {
				t.Fatalf("pause %v", m)
			}
			if m := a.op("PUT", "/api/v1/servers/nas/unpause", nil).json(t); m["is_paused"] != false || m["paused_at"] != nil {
				t.Fatalf("unpause %v", m)
			}
		})

		t.Run("list carries latest metrics and service counts", func(t *testing.T) {
			now := time.Now().UTC()
			a.op("POST", "/api/v1/servers/nas/services", map[string]any{"service_name": "plex"})
			a.op("POST", "/api/v1/servers/nas/services", map[string]any{"service_name": "smbd"})
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, svc("plex", "running"), svc("smbd", "failed"))), 200)
			r := a.op("GET", "/api/v1/servers", nil)
			expectStatus(t, r, 200)
			m := r.json(t)
			servers := m["servers"].([]any)
			s := servers[0].(map[string]any)
			if m["total"] != 1.0 || s["id"] != "nas" || s["latest_metrics"].(map[string]any)["cpu_percent"] != 12.5 {
				t.Fatalf("list %s", r.Body)
			}
			if got := jsonString(s["service_summary"]); got != `{"down":1,"running":1,"total":2,"unknown":0}` {
				t.Fatalf("service summary %s", got)
			}
		})

		t.Run("metrics ranges", func(t *testing.T) {
			expectFieldError(t, a.op("GET", "/api/v1/servers/nas/metrics?range=1y", nil), "query.range")
			expectCode(t, a.op("GET", "/api/v1/servers/ghost/metrics", nil), 404, "NOT_FOUND")
			m := a.op("GET", "/api/v1/servers/nas/metrics?range=24h", nil).json(t)
			points := m["data_points"].([]any)
			if m["range"] != "24h" || len(points) != 1 || points[0].(map[string]any)["disk_percent"] != 63.2 {
				t.Fatalf("metrics %v", m)
			}
		})

		t.Run("delete cascades", func(t *testing.T) {
			expectStatus(t, a.op("DELETE", "/api/v1/servers/nas", nil), 204)
			expectCode(t, a.op("GET", "/api/v1/servers/nas", nil), 404, "NOT_FOUND")
			expectCode(t, a.op("DELETE", "/api/v1/servers/nas", nil), 404, "NOT_FOUND")
		})

		t.Run("dashboard session cookie", func(t *testing.T) {
			expectCode(t, a.do("POST", "/api/v1/auth/login", map[string]any{"api_key": "wrong"}), 401, "UNAUTHORIZED")
			r := a.do("POST", "/api/v1/auth/login", map[string]any{"api_key": testKey})
			expectStatus(t, r, 204)
			cookie := r.Header.Get("Set-Cookie")
			if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") || strings.Contains(cookie, testKey) {
				t.Fatalf("cookie %q", cookie)
			}
			value := strings.SplitN(strings.SplitN(cookie, ";", 2)[0], "=", 2)[1]
			expectStatus(t, a.do("GET", "/api/v1/servers", nil, "Cookie", "homelabcmd_session="+value), 200)
			expectStatus(t, a.do("GET", "/api/v1/auth/session", nil, "Cookie", "homelabcmd_session="+value), 200)
			expectStatus(t, a.do("POST", "/api/v1/auth/logout", nil, "Cookie", "homelabcmd_session="+value), 204)
			expectCode(t, a.do("GET", "/api/v1/servers", nil, "Cookie", "homelabcmd_session="+value), 401, "UNAUTHORIZED")
		})

		t.Run("unknown endpoint", func(t *testing.T) {
			expectCode(t, a.op("GET", "/api/v1/nope", nil), 404, "NOT_FOUND")
		})
	})
}

func TestServicesAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan"}), 201)
		base := "/api/v1/servers/nas/services"

		t.Run("create with defaults, conflict, 404, 422", func(t *testing.T) {
			r := a.op("POST", base, map[string]any{"service_name": "plex"})
			expectStatus(t, r, 201)
			if got := string(r.Body); !strings.Contains(got, `"is_critical":false`) || !strings.Contains(got, `"enabled":true`) ||
				!strings.Contains(got, `"display_name":null`) || !strings.Contains(got, `"current_status":null`) {
				t.Fatalf("defaults %s", got)
			}
			expectCode(t, a.op("POST", base, map[string]any{"service_name": "plex"}), 409, "CONFLICT")
			expectCode(t, a.op("POST", "/api/v1/servers/ghost/services", map[string]any{"service_name": "plex"}), 404, "NOT_FOUND")
			expectFieldError(t, a.op("POST", base, map[string]any{"service_name": "rm -rf /"}), "body.service_name")
			expectFieldError(t, a.op("POST", base, map[string]any{}), "body.service_name")
			expectFieldError(t, a.op("POST", base, map[string]any{"service_name": "x", "is_critical": "yes"}), "body.is_critical")
			expectFieldError(t, a.op("POST", base, map[string]any{"service_name": strings.Repeat("a", 256)}), "body.service_name")
			// Uppercase is a valid systemd name (the original refused pihole-FTL).
			expectStatus(t, a.op("POST", base, map[string]any{"service_name": "pihole-FTL", "display_name": "Pi-hole", "is_critical": true}), 201)
		})

		t.Run("list with live status", func(t *testing.T) {
			now := time.Now().UTC().Truncate(time.Second)
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, svc("plex", "running"))), 200)
			m := a.op("GET", base, nil).json(t)
			list := m["services"].([]any)
			if m["total"] != 2.0 || len(list) != 2 {
				t.Fatalf("list %v", m)
			}
			plex, ftl := list[0].(map[string]any), list[1].(map[string]any)
			cur := plex["current_status"].(map[string]any)
			if cur["status"] != "running" || cur["pid"] != 1234.0 || cur["memory_mb"] != 512.25 || cur["last_seen"] != now.Format(time.RFC3339) {
				t.Fatalf("plex current status %v", cur)
			}
			if ftl["current_status"] != nil || ftl["is_critical"] != true {
				t.Fatalf("pihole-FTL %v", ftl)
			}
		})

		t.Run("partial update", func(t *testing.T) {
			r := a.op("PUT", base+"/pihole-FTL", map[string]any{"enabled": false})
			expectStatus(t, r, 200)
			if m := r.json(t); m["enabled"] != false || m["is_critical"] != true || m["display_name"] != "Pi-hole" {
				t.Fatalf("update %v", m)
			}
			r = a.op("PUT", base+"/pihole-FTL", map[string]any{"display_name": nil})
			if m := r.json(t); m["display_name"] != nil || m["enabled"] != false {
				t.Fatalf("clear display name %v", m)
			}
			expectFieldError(t, a.op("PUT", base+"/pihole-FTL", map[string]any{"is_critical": nil}), "body.is_critical")
			expectCode(t, a.op("PUT", base+"/nope", map[string]any{"enabled": true}), 404, "NOT_FOUND")
			expectCode(t, a.op("PUT", "/api/v1/servers/ghost/services/plex", map[string]any{"enabled": true}), 404, "NOT_FOUND")
		})

		t.Run("history pages with a cursor", func(t *testing.T) {
			t0 := time.Now().UTC().Add(-time.Hour)
			for i := range 5 {
				st := "running"
				if i%2 == 1 {
					st = "stopped"
				}
				a.op("POST", "/api/v1/agents/heartbeat", hb("nas", t0.Add(time.Duration(i)*time.Minute), svc("sonarr", st)))
			}
			r := a.op("GET", base+"/sonarr/history?limit=2", nil)
			expectStatus(t, r, 200)
			m := r.json(t)
			if len(m["history"].([]any)) != 2 || m["next_cursor"] == nil {
				t.Fatalf("page 1 %s", r.Body)
			}
			seen := 2
			for cursor := m["next_cursor"]; cursor != nil; {
				p := a.op("GET", fmt.Sprintf("%s/sonarr/history?limit=2&cursor=%v", base, cursor), nil).json(t)
				seen += len(p["history"].([]any))
				cursor = p["next_cursor"]
			}
			if seen != 5 {
				t.Fatalf("paged through %d samples, want 5", seen)
			}
			from := t0.Add(90 * time.Second).Format(time.RFC3339)
			w := a.op("GET", base+"/sonarr/history?from="+from, nil).json(t)
			if len(w["history"].([]any)) != 3 {
				t.Fatalf("from filter %v", w)
			}
			expectFieldError(t, a.op("GET", base+"/sonarr/history?limit=0", nil), "query.limit")
			expectFieldError(t, a.op("GET", base+"/sonarr/history?from=soon", nil), "query.from")
			expectFieldError(t, a.op("GET", base+"/sonarr/history?cursor=abc", nil), "query.cursor")
			expectCode(t, a.op("GET", "/api/v1/servers/ghost/services/x/history", nil), 404, "NOT_FOUND")
		})

		t.Run("delete keeps history", func(t *testing.T) {
			expectStatus(t, a.op("DELETE", base+"/plex", nil), http.StatusNoContent)
			expectCode(t, a.op("DELETE", base+"/plex", nil), 404, "NOT_FOUND")
			m := a.op("GET", base+"/plex/history", nil).json(t)
			if len(m["history"].([]any)) != 1 {
				t.Fatalf("history after delete %v", m)
			}
		})
	})
}
