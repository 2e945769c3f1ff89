package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// BenchmarkHeartbeatHandler measures the whole ingest path a heartbeat takes
// inside the hub (auth, size limit, JSON decode, validation, group-committed
// store, response) on a SQLite file, with 20 services per heartbeat and many
// agents in flight. The network is left out: see `homelabcmd loadgen`.
func BenchmarkHeartbeatHandler(b *testing.B) {
	db, err := sqlstore.Open(context.Background(), "sqlite:///"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	h := newHandler(db)
	const servers = 200
	bodies := make([][]byte, servers)
	for i := range bodies {
		m := hb(fmt.Sprintf("bench-%03d", i), time.Now())
		var svcs []map[string]any
		for j := range 20 {
			svcs = append(svcs, svc(fmt.Sprintf("service-%02d", j), "running"))
		}
		m["services"] = svcs
		bodies[i], _ = json.Marshal(m)
	}
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			req := httptest.NewRequest("POST", "/api/v1/agents/heartbeat", bytes.NewReader(bodies[n%servers]))
			req.Header.Set("X-API-Key", testKey)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "heartbeats/s")
}
