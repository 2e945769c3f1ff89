package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestUnitInventoryAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		body := hb("pi-1", time.Now())
		body["available_units"] = []map[string]any{{"name": "pihole-FTL.service", "description": "Pi-hole FTL\x1b[31m"}, {"name": "ssh.service", "description": strings.Repeat("é", 300)}}
		body["monitored_services"] = []string{"pihole-FTL"}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", body), 200)

		r := a.op("GET", "/api/v1/servers/pi-1/units", nil)
		expectStatus(t, r, 200)
		var inv struct {
			Units []struct {
				Name, Description, Kind string
			} `json:"units"`
			ReportedAt *time.Time `json:"reported_at"`
			AdoptedAt  *time.Time `json:"adopted_at"`
		}
		if err := json.Unmarshal(r.Body, &inv); err != nil {
			t.Fatal(err)
		}
		if len(inv.Units) != 2 || inv.Units[0].Kind != "service" || strings.Contains(inv.Units[0].Description, "\x1b") ||
			len([]rune(inv.Units[1].Description)) != 200 || inv.ReportedAt == nil || inv.AdoptedAt == nil {
			t.Fatalf("inventory = %s", r.Body)
		}
		svcs := a.op("GET", "/api/v1/servers/pi-1/services", nil)
		if !strings.Contains(string(svcs.Body), `"service_name":"pihole-FTL"`) {
			t.Fatalf("the monitored service was not adopted: %s", svcs.Body)
		}
		// An old agent (no inventory fields) changes nothing.
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("pi-1", time.Now())), 200)
		if r2 := a.op("GET", "/api/v1/servers/pi-1/units", nil); !strings.Contains(string(r2.Body), "pihole-FTL.service") {
			t.Fatalf("a beat without inventory dropped it: %s", r2.Body)
		}

		bad := hb("pi-1", time.Now())
		bad["available_units"] = []map[string]any{{"name": "ok.service"}, {"name": "bad name/..service"}}
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", bad), "body.available_units.1.name")
		many := make([]map[string]any, 1001)
		for i := range many {
			many[i] = map[string]any{"name": fmt.Sprintf("u%d.service", i)}
		}
		bad["available_units"] = many
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", bad), "body.available_units")
		expectStatus(t, a.op("GET", "/api/v1/servers/nope/units", nil), 404)
	})
}
