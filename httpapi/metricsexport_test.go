package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The original's sparkline and export routes, in its shapes and codes.
func TestSparklineAndExport(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		now := time.Now()
		for i := 10; i >= 1; i-- {
			m := hb("mx", now.Add(-time.Duration(i)*time.Minute))
			m["metrics"] = map[string]any{"cpu_percent": float64(i), "memory_percent": 40.0, "disk_percent": 50.0}
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", m), 200)
		}
		sp := a.op("GET", "/api/v1/servers/mx/metrics/sparkline?metric=cpu_percent&period=30m", nil).json(t)
		data := sp["data"].([]any)
		if sp["server_id"] != "mx" || sp["metric"] != "cpu_percent" || sp["period"] != "30m" || len(data) != 10 ||
			data[0].(map[string]any)["value"] != 10.0 || data[9].(map[string]any)["value"] != 1.0 {
			t.Fatalf("sparkline %v", sp)
		}
		expectCode(t, a.op("GET", "/api/v1/servers/mx/metrics/sparkline?metric=load", nil), 400, "INVALID_METRIC")
		expectCode(t, a.op("GET", "/api/v1/servers/mx/metrics/sparkline?period=2d", nil), 400, "INVALID_PERIOD")
		expectCode(t, a.op("GET", "/api/v1/servers/ghost/metrics/sparkline", nil), 404, "NOT_FOUND")

		r := a.op("GET", "/api/v1/servers/mx/metrics/export?range=24h", nil)
		expectStatus(t, r, 200)
		lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
		if !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="mx-metrics-24h-`) || !strings.HasSuffix(r.Header.Get("Content-Disposition"), `.csv"`) ||
			lines[0] != "timestamp,cpu_percent,memory_percent,disk_percent" || len(lines) != 11 || !strings.HasSuffix(lines[1], ",10,40,50") {
			t.Fatalf("csv export %v\n%s", r.Header, r.Body)
		}
		r = a.op("GET", "/api/v1/servers/mx/metrics/export?range=7d&format=json", nil)
		var j struct {
			ServerID   string           `json:"server_id"`
			Range      string           `json:"range"`
			ExportedAt time.Time        `json:"exported_at"`
			Points     []map[string]any `json:"data_points"`
		}
		if err := json.Unmarshal(r.Body, &j); err != nil || j.ServerID != "mx" || j.Range != "7d" || len(j.Points) != 10 || j.Points[0]["cpu_percent"] != 10.0 {
			t.Fatalf("json export %v: %s", err, r.Body)
		}
		r = a.op("GET", "/api/v1/servers/mx/metrics/export?range=12m&format=json", nil)
		if err := json.Unmarshal(r.Body, &j); err != nil || j.Range != "12m" {
			t.Fatalf("12m json export %v: %s", err, r.Body)
		}
		expectFieldError(t, a.op("GET", "/api/v1/servers/mx/metrics/export", nil), "query.range")
		expectFieldError(t, a.op("GET", "/api/v1/servers/mx/metrics/export?range=24h&format=xml", nil), "query.format")
		expectCode(t, a.op("GET", "/api/v1/servers/ghost/metrics/export?range=24h", nil), 404, "NOT_FOUND")
	})
}

// The original's electricity cost setting: defaults, partial update,
// validation.
func TestCostConfig(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		if m := a.op("GET", "/api/v1/config/cost", nil).json(t); m["electricity_rate"] != 0.24 || m["currency_symbol"] != "£" || m["updated_at"] != nil {
			t.Fatalf("defaults %v", m)
		}
		m := a.op("PUT", "/api/v1/config/cost", map[string]any{"electricity_rate": 0.31}).json(t)
		if m["electricity_rate"] != 0.31 || m["currency_symbol"] != "£" || m["updated_at"] == nil {
			t.Fatalf("after PUT %v", m)
		}
		a.op("PUT", "/api/v1/config/cost", map[string]any{"currency_symbol": "€"})
		if m := a.op("GET", "/api/v1/config/cost", nil).json(t); m["electricity_rate"] != 0.31 || m["currency_symbol"] != "€" {
			t.Fatalf("stored %v", m)
		}
		expectFieldError(t, a.op("PUT", "/api/v1/config/cost", map[string]any{"electricity_rate": -1}), "body.electricity_rate")
		expectFieldError(t, a.op("PUT", "/api/v1/config/cost", map[string]any{"currency_symbol": "too long a symbol"}), "body.currency_symbol")
	})
}
