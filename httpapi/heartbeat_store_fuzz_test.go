package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// FuzzHeartbeatStore sends arbitrary heartbeat bodies through the real
// handler, hub.Engine and sqlstore, on SQLite and (when
// HOMELAB_TEST_POSTGRES_URL is set) PostgreSQL: no input may give a 5xx,
// and both engines must give the same status (finding 6: NUL and big
// integers were stored by one and were a 500 on the other). Seeds in
// testdata/fuzz/FuzzHeartbeatStore and below.
func FuzzHeartbeatStore(f *testing.F) {
	ts := time.Date(2026, 1, 18, 10, 30, 0, 0, time.UTC).Format(time.RFC3339)
	for _, body := range []string{
		fmt.Sprintf(`{"server_id":"nas","hostname":"nas","timestamp":%q,"services":[{"name":"plex","status":"running","pid":42}]}`, ts),
		fmt.Sprintf(`{"server_id":"nas","hostname":"n\u0000as","timestamp":%q}`, ts),
		fmt.Sprintf(`{"server_id":"nas","hostname":"nas","timestamp":%q,"metrics":{"memory_total_mb":2147483648,"uptime_seconds":9999999999}}`, ts),
		fmt.Sprintf(`{"server_id":"nas","hostname":"nas","timestamp":%q,"cpu_info":{"cpu_model":"x\u0000","cpu_cores":4},"updates_available":4294967296}`, ts),
		fmt.Sprintf(`{"server_id":"nas","hostname":"nas","timestamp":%q,"services":[{"name":"a\u0000b","status":"stopped","pid":2147483648,"restarts":-1}]}`, ts),
		fmt.Sprintf(`{"server_id":"nas","hostname":"nas","timestamp":%q,"services":[{"name":"x","status":"failed","status_reason":"\u001b[31m\u202e"}],"filesystems":[{"mount_point":"/\u0000","device":"d","fs_type":"ext4","total_bytes":9223372036854775807,"used_bytes":0,"available_bytes":0,"percent":1}]}`, ts),
		fmt.Sprintf(`{"server_id":"nas","hostname":"nas","timestamp":%q,"network_interfaces":[{"name":"eth0\u0000","rx_bytes":9223372036854775807,"tx_bytes":0,"rx_packets":0,"tx_packets":0,"is_up":true}]}`, ts),
		`{"server_id":"nas","hostname":"nas","timestamp":"9999-12-31T23:59:59Z"}`,
		`{"server_id":"nas","hostname":"nas","timestamp":"0001-01-01T00:00:00Z","server_guid":"5f0c8a2e-1b7d-4c3e-9a6f-2d4b8e1c7a90"}`,
		manyServices(ts, 600),
		`{}`, `[]`, `null`, `{"server_id":1}`,
	} {
		f.Add([]byte(body))
	}
	type engine struct {
		name string
		h    http.Handler
	}
	var engines []engine
	for _, e := range storetest.Engines {
		if e == "postgres" && os.Getenv(storetest.EnvPostgres) == "" {
			continue
		}
		db, err := sqlstore.Open(context.Background(), storetest.NewURL(f, e))
		if err != nil {
			f.Fatal(err)
		}
		if err := db.Migrate(context.Background(), nil); err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { db.Close() })
		engines = append(engines, engine{e, newHandler(db)})
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		statuses := make([]int, len(engines))
		for i, e := range engines {
			req := httptest.NewRequest("POST", "/api/v1/agents/heartbeat", bytes.NewReader(body))
			req.Header.Set("X-API-Key", testKey)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s: status %d for %q: %s", e.name, rec.Code, body, rec.Body)
			}
			if rec.Code != 200 && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s: status %d without a JSON body", e.name, rec.Code)
			}
			statuses[i] = rec.Code
		}
		for i := 1; i < len(statuses); i++ {
			// 409/403 depend on what the engine stored before (a GUID taken);
			// a 200 on one and 422 on the other is a disagreement on input.
			if (statuses[0] == 422) != (statuses[i] == 422) {
				t.Fatalf("engines disagree on %q: %s %d, %s %d", body, engines[0].name, statuses[0], engines[i].name, statuses[i])
			}
		}
	})
}

func manyServices(ts string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"server_id":"many","hostname":"many","timestamp":%q,"services":[`, ts)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"u%d","status":"running"}`, i)
	}
	b.WriteString("]}")
	return b.String()
}
