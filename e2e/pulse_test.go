package e2e

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// The dead man's switch: a hub on PostgreSQL pings pulse_url every
// pulse_interval, and the pings stop when its database goes away (its
// schema is dropped under it), although the process still runs.
func TestPulseStopsWhenTheDatabaseGoes(t *testing.T) {
	dbURL := storetest.NewURL(t, "postgres")
	var mu sync.Mutex
	var pings []time.Time
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/ping/0f1e2d3c" {
			mu.Lock()
			pings = append(pings, time.Now())
			mu.Unlock()
		}
	}))
	defer rcv.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(pings) }
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_DATABASE_URL=" + dbURL, "HOMELAB_CMD_LOCAL_AGENT=false",
		"HOMELAB_CMD_PULSE_URL=" + rcv.URL + "/ping/0f1e2d3c", "HOMELAB_CMD_PULSE_INTERVAL=1s"})

	waitUntil(t, 30*time.Second, "3 pings", func() bool { return count() >= 3 })
	mu.Lock()
	gap := pings[len(pings)-1].Sub(pings[len(pings)-2])
	mu.Unlock()
	t.Logf("pulse interval observed: %s (configured 1s)", gap.Round(time.Millisecond))

	u, _ := url.Parse(dbURL)
	schema := u.Query().Get("search_path")
	admin, err := sql.Open("pgx", strings.Replace(dbURL, "search_path="+schema, "search_path=public", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
		t.Fatal(err)
	}
	// Stopped: three intervals without a ping (a ping that had passed its
	// probe before the drop may still land first) …
	last, quietSince := count(), time.Now()
	waitUntil(t, 60*time.Second, "the pings to stop", func() bool {
		if n := count(); n != last {
			last, quietSince = n, time.Now()
		}
		return time.Since(quietSince) >= 3*time.Second
	})
	// … and none later.
	time.Sleep(3 * time.Second)
	if n := count(); n != last {
		t.Fatalf("%d pings after the database was dropped and the pulse had stopped", n-last)
	}
	if !strings.Contains(h.Output(), "hub unhealthy: the pulse stops") {
		t.Errorf("no unhealthy log line:\n%s", h.Output())
	}
	if strings.Contains(h.Output(), "0f1e2d3c") {
		t.Errorf("the log shows the pulse URL's secret path:\n%s", h.Output())
	}
	_, _ = admin.Exec("CREATE SCHEMA " + schema) // for the test's own cleanup to drop
}

// waitUntil polls cond every 20 ms until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}
