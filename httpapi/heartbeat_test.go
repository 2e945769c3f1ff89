package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestHeartbeat(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		now := time.Now().UTC()

		t.Run("smallest body registers the server", func(t *testing.T) {
			r := a.do("POST", "/api/v1/agents/heartbeat", `{"server_id":"x","hostname":"x","timestamp":"2026-01-18T10:30:00Z"}`, "X-API-Key", testKey)
			expectStatus(t, r, 200)
			m := r.json(t)
			if m["status"] != "ok" || m["server_registered"] != true || jsonString(m["pending_commands"]) != "[]" ||
				jsonString(m["results_acknowledged"]) != "[]" || jsonString(m["expected_services"]) != "[]" {
				t.Fatalf("response %s", r.Body)
			}
			s := a.op("GET", "/api/v1/servers/x", nil).json(t)
			if s["status"] != "online" || s["last_seen"] == nil {
				t.Fatalf("server %v", s)
			}
		})

		t.Run("full agent payload with unknown fields and cpu over 100", func(t *testing.T) {
			body := `{"server_guid":"a1b2c3d4-e5f6-4890-abcd-ef1234567890","server_id":"omv-mediaserver","hostname":"omv-mediaserver",
			 "timestamp":"` + now.Format("2006-01-02T15:04:05.000000") + `+00:00","agent_version":"2.0.0","agent_mode":"readonly",
			 "os_info":{"distribution":"Debian GNU/Linux","version":"12","kernel":"6.1.0-18-amd64","architecture":"x86_64"},
			 "metrics":{"reboot_required":false,"cpu_percent":12.5,"memory_percent":41.0,"memory_total_mb":15890,"memory_used_mb":6100,
			   "disk_percent":63.2,"disk_total_gb":915.8,"disk_used_gb":578.1,"network_rx_bytes":123,"network_tx_bytes":456,
			   "load_1m":0.3,"load_5m":0.25,"load_15m":0.2,"uptime_seconds":86400},
			 "updates_available":3,"security_updates":1,"future_field":{"x":1},
			 "cpu_info":{"cpu_model":"Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz","cpu_cores":8},
			 "services":[{"name":"plex","status":"running","pid":1234,"memory_mb":512.25,"cpu_percent":250.5},
			             {"name":"sonarr","status":"stopped","pid":null,"memory_mb":null,"cpu_percent":null}],
			 "packages":[{"name":"openssl","current_version":"3.0.13-1~deb12u1","new_version":"3.0.14-1~deb12u1","repository":"bookworm-security","is_security":true}],
			 "filesystems":[{"mount_point":"/","device":"/dev/sda1","fs_type":"ext4","total_bytes":1,"used_bytes":1,"available_bytes":0,"percent":63.2}],
			 "network_interfaces":[{"name":"eth0","rx_bytes":1,"tx_bytes":1,"rx_packets":1,"tx_packets":1,"is_up":true}]}`
			expectStatus(t, a.do("POST", "/api/v1/agents/heartbeat", body, "X-API-Key", testKey), 200)
			s := a.op("GET", "/api/v1/servers/omv-mediaserver", nil).json(t)
			if s["os_distribution"] != "Debian GNU/Linux" || s["cpu_cores"] != 8.0 || s["updates_available"] != 3.0 ||
				s["guid"] != "a1b2c3d4-e5f6-4890-abcd-ef1234567890" || s["latest_metrics"] == nil {
				t.Fatalf("server %v", s)
			}
			if fs := s["filesystems"].([]any); len(fs) != 1 {
				t.Fatalf("filesystems %v", s["filesystems"])
			}
			hist := a.op("GET", "/api/v1/servers/omv-mediaserver/services/plex/history", nil).json(t)
			h0 := hist["history"].([]any)[0].(map[string]any)
			if h0["cpu_percent"] != 250.5 || h0["status"] != "running" {
				t.Fatalf("history %v", hist)
			}
		})

		t.Run("bad input gets a clear error and stores nothing", func(t *testing.T) {
			before := a.op("GET", "/api/v1/servers", nil).json(t)["total"]
			tests := []struct {
				name   string
				body   string
				status int
				want   string
			}{
				{"malformed JSON", `{"server_id":`, 422, "not valid JSON"},
				{"empty body", ``, 422, "empty"},
				{"array body", `[]`, 422, "object"},
				{"wrong type", `{"server_id":"a","hostname":"a","timestamp":"2026-01-18T10:30:00Z","metrics":{"cpu_percent":"high"}}`, 422, "cpu_percent"},
				{"bad status", `{"server_id":"a","hostname":"a","timestamp":"2026-01-18T10:30:00Z","services":[{"name":"p","status":"sleeping"}]}`, 422, "services"},
				{"bad id", `{"server_id":"Bad_ID","hostname":"a","timestamp":"2026-01-18T10:30:00Z"}`, 422, "server_id"},
				{"no timestamp", `{"server_id":"a","hostname":"a"}`, 422, "timestamp"},
				{"bad timestamp", `{"server_id":"a","hostname":"a","timestamp":"yesterday"}`, 422, "timestamp"},
				{"percent over 100", `{"server_id":"a","hostname":"a","timestamp":"2026-01-18T10:30:00Z","metrics":{"disk_percent":101}}`, 422, "disk_percent"},
				{"negative pid", `{"server_id":"a","hostname":"a","timestamp":"2026-01-18T10:30:00Z","services":[{"name":"p","status":"running","pid":-1}]}`, 422, "pid"},
				{"uppercase GUID", `{"server_id":"a","hostname":"a","timestamp":"2026-01-18T10:30:00Z","server_guid":"A1B2C3D4-E5F6-4890-ABCD-EF1234567890"}`, 422, "server_guid"},
				{"too large", `{"server_id":"a","hostname":"` + strings.Repeat("a", 1<<20) + `","timestamp":"2026-01-18T10:30:00Z"}`, 413, "larger"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := a.do("POST", "/api/v1/agents/heartbeat", tt.body, "X-API-Key", testKey)
					if r.Status != tt.status || !strings.Contains(string(r.Body), tt.want) {
						t.Fatalf("status %d body %s; want %d mentioning %q", r.Status, r.Body, tt.status, tt.want)
					}
				})
			}
			if after := a.op("GET", "/api/v1/servers", nil).json(t)["total"]; after != before {
				t.Fatalf("rejected heartbeats changed the server count: %v → %v", before, after)
			}
		})

		t.Run("authentication", func(t *testing.T) {
			body := hb("auth-test", now)
			expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", body), 401, "UNAUTHORIZED")
			expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", body, "X-API-Key", "wrong"), 401, "UNAUTHORIZED")
			// A per-agent token reports for its own server only.
			expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "pi", "hostname": "pi.lan"}), 201)
			guid := homelabcmd.NewGUID()
			token, err := a.db.IssueAgentToken(t.Context(), "pi", guid)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, a.do("POST", "/api/v1/agents/heartbeat", hb("pi", now), "X-Agent-Token", token, "X-Server-GUID", guid), 200)
			expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", hb("omv-mediaserver", now), "X-Agent-Token", token, "X-Server-GUID", guid), 403, "FORBIDDEN")
			// A wrong token does not fall back to the API key.
			expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", hb("pi", now), "X-Agent-Token", token+"x", "X-Server-GUID", guid, "X-API-Key", testKey), 401, "UNAUTHORIZED")
			// An agent token gives no access to the operator API.
			expectCode(t, a.do("GET", "/api/v1/servers", nil, "X-Agent-Token", token, "X-Server-GUID", guid), 401, "UNAUTHORIZED")
			if err := a.db.RevokeAgentToken(t.Context(), guid); err != nil {
				t.Fatal(err)
			}
			expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", hb("pi", now), "X-Agent-Token", token, "X-Server-GUID", guid), 401, "UNAUTHORIZED")
		})

		t.Run("expected services come back in the response", func(t *testing.T) {
			expectStatus(t, a.op("POST", "/api/v1/servers/omv-mediaserver/services", map[string]any{"service_name": "plex", "is_critical": true}), 201)
			expectStatus(t, a.op("POST", "/api/v1/servers/omv-mediaserver/services", map[string]any{"service_name": "radarr", "enabled": false}), 201)
			r := a.op("POST", "/api/v1/agents/heartbeat", hb("omv-mediaserver", now.Add(time.Second)))
			if got := jsonString(r.json(t)["expected_services"]); got != `["plex"]` {
				t.Fatalf("expected_services %s", got)
			}
		})
	})
}
