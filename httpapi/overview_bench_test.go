package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// BenchmarkOverview measures GET /api/v1/servers, the request behind the
// dashboard's fleet overview, inside the hub (routing, auth, store, JSON)
// on a SQLite file with 200 servers × 20 expected services and an hour of
// minutely heartbeats each. The dashboard needs it under 100 ms.
func BenchmarkOverview(b *testing.B) {
	const servers, services, history = 200, 20, 60
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:///"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	h := newHandler(db)

	// Seed through the API: servers register on their first heartbeat; then
	// expected services; then an hour of history, one service in ten down.
	send := func(m map[string]any) {
		body, _ := json.Marshal(m)
		req := httptest.NewRequest("POST", "/api/v1/agents/heartbeat", bytes.NewReader(body))
		req.Header.Set("X-API-Key", testKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("heartbeat: %d %s", rec.Code, rec.Body)
		}
	}
	start := time.Now().Add(-history * time.Minute)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			id := fmt.Sprintf("srv-%03d", i)
			send(hb(id, start))
			for j := range services {
				es := homelabcmd.NewExpectedService(id, fmt.Sprintf("service-%02d", j))
				es.IsCritical = j%5 == 0
				if err := db.CreateExpectedService(ctx, es); err != nil {
					b.Error(err)
					return
				}
			}
			for k := 1; k <= history; k++ {
				var svcs []map[string]any
				for j := range services {
					st := "running"
					if (i+j)%10 == 0 && k > history/2 {
						st = "stopped"
					}
					svcs = append(svcs, svc(fmt.Sprintf("service-%02d", j), st))
				}
				send(hb(id, start.Add(time.Duration(k)*time.Minute), svcs...))
			}
		})
	}
	wg.Wait()

	get := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/servers", nil)
		req.Header.Set("X-API-Key", testKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := get()
	var list struct {
		Total   int `json:"total"`
		Servers []struct {
			ServiceSummary struct{ Total, Down int } `json:"service_summary"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list.Total != servers {
		b.Fatalf("overview: %d, %v, total %d", rec.Code, err, list.Total)
	}
	if s := list.Servers[0].ServiceSummary; s.Total != services {
		b.Fatalf("service summary %+v, want %d services", s, services)
	}

	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		if rec := get(); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		durations = append(durations, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(durations)
	q := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(rec.Body.Len())/1024, "KiB/response")
	if q(0.99) > 100 {
		b.Errorf("p99 %.1f ms is over the dashboard's 100 ms budget", q(0.99))
	}
}
