package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

func TestStatusPage(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		for _, p := range []string{"/status", "/api/v1/public/status"} {
			expectStatus(t, a.do("GET", p, nil), 404)
		}
		body := hb("nas", time.Now(), svc("plex", "running"))
		body["network_interfaces"] = []map[string]any{{"name": "eth0"}}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", body), 200)
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/services", map[string]any{"service_name": "plex", "display_name": "Films"}), 201)
		expectStatus(t, a.op("PUT", "/api/v1/servers/nas", map[string]any{"display_name": "Family NAS", "ip_address": "192.168.1.20"}), 200)
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", time.Now(), svc("plex", "running"))), 200)

		expectFieldError(t, a.op("PUT", "/api/v1/status-page", map[string]any{"enabled": true, "services": []string{"nas"}}), "body.services")
		expectStatus(t, a.do("PUT", "/api/v1/status-page", map[string]any{"enabled": true}), 401)
		r := a.op("PUT", "/api/v1/status-page", map[string]any{"enabled": true, "title": "Our house", "servers": []string{"nas", "gone"}, "services": []string{"nas/plex"}})
		expectStatus(t, r, 200)

		pub := a.do("GET", "/api/v1/public/status", nil)
		expectStatus(t, pub, 200)
		page := a.do("GET", "/status", nil)
		expectStatus(t, page, 200)
		for _, b := range []string{string(pub.Body), string(page.Body)} {
			for _, secret := range []string{"192.168", "cpu", "nas.lan", `"nas"`} {
				if strings.Contains(b, secret) {
					t.Fatalf("the public page shows %q: %s", secret, b)
				}
			}
		}
		if !strings.Contains(string(pub.Body), `"overall":"operational"`) || !strings.Contains(string(page.Body), "All systems operational") ||
			!strings.Contains(string(page.Body), "Family NAS") || !strings.Contains(string(page.Body), "Films") || !strings.Contains(string(page.Body), "Our house") {
			t.Fatalf("page = %s", page.Body)
		}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", time.Now(), svc("plex", "stopped"))), 200)
		if b := a.do("GET", "/status", nil).Body; !strings.Contains(string(b), "Some systems are down") {
			t.Fatalf("a stopped service: %s", b)
		}
		expectStatus(t, a.op("PUT", "/api/v1/status-page", map[string]any{"enabled": false}), 200)
		expectStatus(t, a.do("GET", "/status", nil), 404)
	})
}
