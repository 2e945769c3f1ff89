package sqlstore

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestSparseHistory(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		db.HistorySampleEvery = 10 * time.Minute
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		// One heartbeat a minute for an hour: plex runs, stops at minute 30
		// for 2 minutes, runs again.
		for i := range 60 {
			st := homelabcmd.StatusRunning
			if i == 30 || i == 31 {
				st = homelabcmd.StatusStopped
			}
			if _, err := db.Ingest(ctx, heartbeat("nas", t0.Add(time.Duration(i)*time.Minute), report("plex", st)), homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
		}
		hist, _, _ := db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{Limit: 100})
		var got []string
		for i := len(hist) - 1; i >= 0; i-- {
			got = append(got, hist[i].Timestamp.Sub(t0).String()+":"+string(hist[i].Status))
		}
		want := []string{"0s:running", "10m0s:running", "20m0s:running", "30m0s:stopped", "32m0s:running", "42m0s:running", "52m0s:running"}
		if len(got) != len(want) {
			t.Fatalf("history %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("history %v, want %v", got, want)
			}
		}
		// Current status still follows every report.
		svc := mustCurrent(t, db, "nas", "plex")
		if !svc.LastSeen.Equal(t0.Add(59 * time.Minute)) {
			t.Fatalf("last seen %v", svc.LastSeen)
		}
		// A late report (an outbox replay) is always kept in history.
		db.Ingest(ctx, heartbeat("nas", t0.Add(45*time.Minute), report("plex", homelabcmd.StatusRunning)), homelabcmd.IngestMeta{})
		hist, _, _ = db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{Limit: 100})
		if len(hist) != 8 {
			t.Fatalf("late report not kept: %d rows", len(hist))
		}

		// Uptime over the hour: down 2 of 59 observed minutes.
		up, err := db.ServiceUptime(ctx, "nas", "plex", t0)
		if err != nil || up == nil || math.Abs(*up-(57.0/59.0*100)) > 0.01 {
			t.Fatalf("uptime %v %v, want %.2f", deref(up), err, 57.0/59.0*100)
		}
		// A window starting mid-outage counts from the state at its start.
		up, _ = db.ServiceUptime(ctx, "nas", "plex", t0.Add(31*time.Minute))
		if up == nil || math.Abs(*up-(27.0/28.0*100)) > 0.01 {
			t.Fatalf("uptime from minute 31: %v", deref(up))
		}
		if up, _ := db.ServiceUptime(ctx, "nas", "never-reported", t0); up != nil {
			t.Fatalf("uptime of an unknown service %v", *up)
		}
	})
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func mustCurrent(t *testing.T, db *DB, server, name string) *homelabcmd.CurrentStatus {
	t.Helper()
	db.CreateExpectedService(context.Background(), homelabcmd.NewExpectedService(server, name))
	svc, err := db.FindExpectedService(context.Background(), server, name)
	if err != nil || svc.CurrentStatus == nil {
		t.Fatalf("current status of %s: %v", name, err)
	}
	return svc.CurrentStatus
}

func TestRollupThenPrune(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		now := time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		// 40 days of hourly samples; cpu = the hour of day.
		start := now.Add(-40 * 24 * time.Hour).Truncate(time.Hour)
		for ts := start; ts.Before(now); ts = ts.Add(time.Hour) {
			hb := heartbeat("nas", ts, report("plex", homelabcmd.StatusRunning))
			cpu := float64(ts.Hour())
			hb.Metrics.CPUPercent = &cpu
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
		}
		raw := countRows(t, db, `SELECT COUNT(*) FROM metrics`)
		// Pruning before any rollup keeps raw metrics (history is not rolled up).
		if _, err := db.Prune(ctx, DefaultRetention); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM metrics`); n != raw {
			t.Fatalf("raw metrics pruned before rollup: %d → %d", raw, n)
		}
		if err := db.Rollup(ctx); err != nil {
			t.Fatal(err)
		}
		// Hourly rollups cover complete hours of the 30-day raw window.
		pts, err := db.MetricsTier(ctx, "nas", "hourly", now.Add(-3*time.Hour), now)
		if err != nil || len(pts) != 2 {
			t.Fatalf("hourly points %v %v", pts, err)
		}
		if *pts[1].CPUPercent != 11 || countRows(t, db, `SELECT sample_count FROM metrics_hourly ORDER BY timestamp DESC LIMIT 1`) != 1 {
			t.Fatalf("hourly rollup %+v", pts[1])
		}
		days, _ := db.MetricsTier(ctx, "nas", "daily", now.Add(-3*24*time.Hour), now)
		if len(days) != 2 || *days[0].CPUPercent != 11.5 { // today is not complete yet
			t.Fatalf("daily points %+v", days)
		}
		removed, err := db.Prune(ctx, DefaultRetention)
		if err != nil || removed == 0 {
			t.Fatalf("prune: %d %v", removed, err)
		}
		cut := now.Add(-DefaultRetention.Raw)
		for _, table := range []string{"metrics", "service_status"} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE timestamp < $1`, cut); n != 0 {
				t.Fatalf("%s: %d rows older than retention", table, n)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE timestamp >= $1`, cut); n == 0 {
				t.Fatalf("%s: recent rows pruned", table)
			}
		}
		// Rollups outlive the raw rows.
		if n := countRows(t, db, `SELECT COUNT(*) FROM metrics_daily WHERE timestamp < $1`, cut); n == 0 {
			t.Fatal("daily rollups older than the raw window are missing")
		}
		ran, err := db.RunExclusive(ctx, "retention", func(context.Context) error { return nil })
		if !ran || err != nil {
			t.Fatalf("exclusive job: %v %v", ran, err)
		}
	})
}

// A year of one server, an hourly heartbeat, with the retention job run once
// a simulated day: every table stays bounded by its retention, and the
// rollups cover the whole year.
func TestYearOfRetentionStaysBounded(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, "sqlite:///"+t.TempDir()+"/year.db", true)
	db.HistorySampleEvery = 10 * time.Minute
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	r := Retention{Raw: 30 * 24 * time.Hour, Hourly: 90 * 24 * time.Hour, Daily: 5 * 365 * 24 * time.Hour}
	maxRaw := 0
	for h := range 365 * 24 {
		ts := start.Add(time.Duration(h) * time.Hour)
		db.Now = func() time.Time { return ts }
		st := homelabcmd.StatusRunning
		if h%24 == 3 {
			st = homelabcmd.StatusFailed
		}
		if _, err := db.Ingest(ctx, heartbeat("nas", ts, report("plex", st)), homelabcmd.IngestMeta{}); err != nil {
			t.Fatal(err)
		}
		if h%24 == 23 { // the daily job
			if err := db.Rollup(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Prune(ctx, r); err != nil {
				t.Fatal(err)
			}
			maxRaw = max(maxRaw, countRows(t, db, `SELECT COUNT(*) FROM metrics`))
		}
	}
	// Raw rows never exceed 30 days (+ the day before the job ran).
	if limit := 31 * 24; maxRaw > limit {
		t.Fatalf("raw metrics peaked at %d rows, retention allows %d", maxRaw, limit)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM service_status`); n > 31*24 {
		t.Fatalf("%d history rows after a year", n)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM metrics_hourly`); n > 91*24 || n < 89*24 {
		t.Fatalf("%d hourly rollups, want about 90 days' worth", n)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM metrics_daily`); n < 360 || n > 366 {
		t.Fatalf("%d daily rollups, want a year's", n)
	}
}

// Check results are pruned after CheckResultsKept even when raw metrics
// are kept longer.
func TestPruneCheckResults(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		now := time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		if _, err := db.Ingest(ctx, heartbeat("nas", now), homelabcmd.IngestMeta{}); err != nil {
			t.Fatal(err)
		}
		c := &homelabcmd.Check{Name: "web", Type: "tcp", Target: "nas:80", IntervalSeconds: 60, TimeoutSeconds: 5, Enabled: true, ServerIDs: []string{"nas"}}
		err := db.InTx(ctx, func(tx homelabcmd.Tx) error {
			if err := tx.InsertCheck(ctx, c); err != nil {
				return err
			}
			var rs []homelabcmd.CheckResult
			for _, age := range []time.Duration{10 * 24 * time.Hour, 8 * 24 * time.Hour, 24 * time.Hour, time.Minute} {
				rs = append(rs, homelabcmd.CheckResult{CheckID: c.ID, Status: homelabcmd.CheckUp, CheckedAt: now.Add(-age)})
			}
			_, err := tx.SaveCheckResults(ctx, "nas", rs)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Prune(ctx, DefaultRetention); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM check_results`); n != 2 {
			t.Fatalf("%d check results left, want the 2 younger than 7 days", n)
		}
	})
}
