package checks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// The collector runs a check at once (jitter within a tenth of 10 s), puts
// its result into the next heartbeat, asks for a heartbeat when the status
// changes, and drops a check the hub no longer hands out.
func TestCollectorRunsAndReports(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(503)
		}
	}))
	t.Cleanup(srv.Close)
	c := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan struct{}, 16)
	done := make(chan struct{})
	go func() { defer close(done); c.Watch(ctx, func() { changes <- struct{}{} }) }()
	t.Cleanup(func() { cancel(); <-done })

	failing.Store(true)
	s := homelabcmd.CheckSpec{ID: 7, Name: "web", Type: "http", Target: srv.URL, IntervalSeconds: 10, TimeoutSeconds: 2}
	s.Method = "GET"
	c.SetChecks([]homelabcmd.CheckSpec{s})
	select {
	case <-changes: // a first result that fails asks for a heartbeat
	case <-time.After(5 * time.Second):
		t.Fatal("no heartbeat asked for")
	}
	hb := &homelabcmd.Heartbeat{}
	part, err := c.Collect(ctx, false)
	if err != nil || part == nil {
		t.Fatalf("collect: %v %v", part, err)
	}
	part(hb)
	if len(hb.CheckResults) != 1 || hb.CheckResults[0].CheckID != 7 || hb.CheckResults[0].Status != "down" {
		t.Fatalf("results %+v", hb.CheckResults)
	}
	if part, _ := c.Collect(ctx, false); part != nil {
		t.Fatal("results handed over twice")
	}
	// Withdrawn: nothing more runs or is reported.
	c.SetChecks(nil)
	if next, _ := c.due(time.Now().Add(time.Hour)); len(next) != 0 {
		t.Fatalf("withdrawn check still due: %v", next)
	}
}

// At most MaxCheckResultsPerHeartbeat results go into one heartbeat; the
// rest wait for the next.
func TestCollectBoundsResults(t *testing.T) {
	c := New(nil)
	var specs []homelabcmd.CheckSpec
	for i := range 30 {
		specs = append(specs, homelabcmd.CheckSpec{ID: int64(i + 1), Type: "tcp", Target: "127.0.0.1:1", IntervalSeconds: 60})
	}
	c.SetChecks(specs)
	for range maxPendingPerCheck {
		for _, s := range specs {
			c.record(homelabcmd.CheckResult{CheckID: s.ID, Status: "up", CheckedAt: time.Now()})
		}
	}
	total := 0
	for i := 0; i < 3; i++ {
		hb := &homelabcmd.Heartbeat{}
		if part, _ := c.Collect(context.Background(), false); part != nil {
			part(hb)
		}
		if len(hb.CheckResults) > homelabcmd.MaxCheckResultsPerHeartbeat {
			t.Fatalf("%d results in one heartbeat", len(hb.CheckResults))
		}
		total += len(hb.CheckResults)
	}
	if total != 30*maxPendingPerCheck {
		t.Fatalf("%d results handed over, want %d", total, 30*maxPendingPerCheck)
	}
}
