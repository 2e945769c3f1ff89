package httpapi_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/hub"
)

// Workstations and electricity cost: the machine category inferred by
// heartbeats (the operator's choice wins), idle_watts validation, and the
// cost routes' estimate from measured CPU use.
func TestMachineCategoryAndCosts(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		awayFromUTCMidnight(30 * time.Second)
		now := time.Now()
		for i, cpu := range []float64{40, 60} {
			m := hb("rack", now.Add(time.Duration(i-2)*time.Second))
			m["metrics"] = map[string]any{"cpu_percent": cpu}
			m["cpu_info"] = map[string]any{"cpu_model": "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "cpu_cores": 28}
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", m), 200)
		}
		srv := a.op("GET", "/api/v1/servers/rack", nil).json(t)
		if srv["machine_category"] != "rack_server" || srv["machine_category_source"] != "auto" || srv["idle_watts"] != nil {
			t.Fatalf("inferred category: %v %v %v", srv["machine_category"], srv["machine_category_source"], srv["idle_watts"])
		}
		// The operator's category survives the next heartbeats; "" hands it back.
		srv = a.op("PUT", "/api/v1/servers/rack", map[string]any{"machine_category": "nas", "idle_watts": 10, "tdp_watts": 110}).json(t)
		if srv["machine_category"] != "nas" || srv["machine_category_source"] != "user" || srv["idle_watts"] != 10.0 {
			t.Fatalf("after PUT: %v", srv)
		}
		m := hb("rack", now.Add(-500*time.Millisecond))
		delete(m, "metrics")
		m["cpu_info"] = map[string]any{"cpu_model": "AMD EPYC 7302P 16-Core Processor"}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", m), 200)
		if srv := a.op("GET", "/api/v1/servers/rack", nil).json(t); srv["machine_category"] != "nas" || srv["machine_category_source"] != "user" {
			t.Fatalf("heartbeat overrode the user's category: %v", srv["machine_category"])
		}
		expectFieldError(t, a.op("PUT", "/api/v1/servers/rack", map[string]any{"idle_watts": -1}), "body.idle_watts")
		expectFieldError(t, a.op("PUT", "/api/v1/servers/rack", map[string]any{"idle_watts": 10001}), "body.idle_watts")
		expectFieldError(t, a.op("PUT", "/api/v1/servers/rack", map[string]any{"machine_category_source": "guess"}), "body.machine_category_source")
		long := make([]byte, 51)
		for i := range long {
			long[i] = 'x'
		}
		expectFieldError(t, a.op("PUT", "/api/v1/servers/rack", map[string]any{"machine_category": string(long)}), "body.machine_category")

		// A workstation that never reported costs nothing.
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "desk", "hostname": "desk", "machine_type": "workstation"}), 201)
		a.op("PUT", "/api/v1/config/cost", map[string]any{"electricity_rate": 0.5, "currency_symbol": "€"})

		// rack: 10 + (110-10) × 50% = 60 W while online today.
		h := a.op("GET", "/api/v1/servers/rack/costs/history?period=7d", nil).json(t)
		days := h["days"].([]any)
		today := days[len(days)-1].(map[string]any)
		if len(days) != 7 || h["currency_symbol"] != "€" || h["electricity_rate"] != 0.5 || today["cpu_avg_percent"] != 50.0 || today["avg_watts"] != 60.0 ||
			today["date"] != time.Now().UTC().Format(time.DateOnly) || days[0].(map[string]any)["kwh"] != 0.0 {
			t.Fatalf("server history %v", h)
		}
		if kwh := today["kwh"].(float64); math.Abs(kwh-60*today["hours_online"].(float64)/1000) > 0.0004 || // hours are rounded to 0.01
			math.Abs(today["cost"].(float64)-kwh*0.5) > 0.0001 {
			t.Fatalf("today %v", today)
		}
		b := a.op("GET", "/api/v1/costs/breakdown?period=30d", nil).json(t)
		rows := b["servers"].([]any)
		first, second := rows[0].(map[string]any), rows[1].(map[string]any)
		if len(rows) != 2 || first["server_id"] != "rack" || first["watts_defaulted"] != false || first["cpu_avg_percent"] != 50.0 ||
			second["server_id"] != "desk" || second["hours_online"] != 0.0 || second["cost"] != 0.0 || second["watts_defaulted"] != true {
			t.Fatalf("breakdown %v", b)
		}
		sum := a.op("GET", "/api/v1/costs/summary", nil).json(t)
		if sum["period"] != "30d" || sum["server_count"] != 2.0 || sum["servers_using_defaults"] != 1.0 || sum["total_kwh"] != b["total_kwh"] || sum["currency_symbol"] != "€" {
			t.Fatalf("summary %v (breakdown %v)", sum, b)
		}
		hist := a.op("GET", "/api/v1/costs/history?period=90d", nil).json(t)
		if len(hist["days"].([]any)) != 90 || hist["total_kwh"] != b["total_kwh"] {
			t.Fatalf("history %v", hist)
		}
		mon := a.op("GET", "/api/v1/costs/summary/monthly?months=3", nil).json(t)
		months := mon["months"].([]any)
		if len(months) != 3 || months[2].(map[string]any)["month"] != time.Now().UTC().Format("2006-01") || mon["total_kwh"] != b["total_kwh"] {
			t.Fatalf("monthly %v", mon)
		}
		for _, path := range []string{"/api/v1/costs/summary", "/api/v1/costs/breakdown", "/api/v1/costs/history", "/api/v1/servers/rack/costs/history"} {
			expectCode(t, a.op("GET", path+"?period=1y", nil), 422, "INVALID_PERIOD")
		}
		expectFieldError(t, a.op("GET", "/api/v1/costs/summary/monthly?months=13", nil), "query.months")
		expectCode(t, a.op("GET", "/api/v1/servers/ghost/costs/history", nil), 404, "NOT_FOUND")
	})
}

// Past days come from the daily snapshots: a rate change reprices today,
// not the days already captured.
func TestCostHistoryKeepsSnapshots(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		// The test reads "yesterday" several times: keep clear of midnight UTC.
		awayFromUTCMidnight(time.Minute)
		ctx := context.Background()
		// A server added three days ago (on the store's clock).
		a.db.Now = func() time.Time { return time.Now().Add(-72 * time.Hour) }
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "rack", "hostname": "rack"}), 201)
		a.db.Now = time.Now
		expectStatus(t, a.op("PUT", "/api/v1/servers/rack", map[string]any{"idle_watts": 50, "tdp_watts": 50}), 200)
		expectStatus(t, a.op("PUT", "/api/v1/config/cost", map[string]any{"electricity_rate": 0.25}), 200)
		if n, err := hub.CaptureDailyCosts(ctx, a.db, time.Now()); err != nil || n != 3 {
			t.Fatalf("capture stored %d, %v", n, err)
		}
		history := func() []any {
			h := a.op("GET", "/api/v1/servers/rack/costs/history?period=7d", nil).json(t)
			return h["days"].([]any)
		}
		before := history()
		expectStatus(t, a.op("PUT", "/api/v1/config/cost", map[string]any{"electricity_rate": 0.50}), 200)
		after := history()
		if len(before) != 7 || len(after) != 7 {
			t.Fatalf("days %d %d", len(before), len(after))
		}
		yesterday := before[5].(map[string]any)
		if yesterday["kwh"] != 1.2 || yesterday["cost"] != 0.3 || after[5].(map[string]any)["cost"] != 0.3 {
			t.Fatalf("yesterday before %v after %v", yesterday, after[5])
		}
		today, todayAfter := before[6].(map[string]any), after[6].(map[string]any)
		if todayAfter["cost"].(float64) < 1.9*today["cost"].(float64) {
			t.Fatalf("today not repriced: %v → %v", today, todayAfter)
		}
		// The fleet history and summary use the same days.
		fleet := a.op("GET", "/api/v1/costs/history?period=7d", nil).json(t)["days"].([]any)
		if fleet[5].(map[string]any)["cost"] != 0.3 {
			t.Fatalf("fleet yesterday %v", fleet[5])
		}
	})
}

// awayFromUTCMidnight waits until the UTC day began at least margin ago and
// has at least margin left: the estimate is per UTC day, and a subtest's
// samples and its checks of "today" must fall on the same day.
func awayFromUTCMidnight(margin time.Duration) {
	now := time.Now().UTC()
	since := now.Sub(now.Truncate(24 * time.Hour))
	switch {
	case since < margin:
		time.Sleep(margin - since)
	case since > 24*time.Hour-margin:
		time.Sleep(24*time.Hour - since + margin)
	}
}
