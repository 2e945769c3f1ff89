package sqlstore

import (
	"context"
	"fmt"
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
		for table, cut := range map[string]time.Time{"metrics": cut, "service_status": now.Add(-DefaultRetention.History)} {
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
	forEachDB(t, testYearOfRetention)
}

func testYearOfRetention(t *testing.T, db *DB) {
	ctx := context.Background()
	db.HistorySampleEvery = 10 * time.Minute
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	r := Retention{Raw: 7 * 24 * time.Hour, History: 30 * 24 * time.Hour, Hourly: 90 * 24 * time.Hour, Daily: 5 * 365 * 24 * time.Hour}
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
	// Raw rows never exceed 7 days (+ the day before the job ran).
	if limit := 8 * 24; maxRaw > limit {
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

// Past retention_raw, service history keeps every change (of status,
// reason or pid) and the first sample of each hour; past retention_history
// nothing. What the history is read for (the dashboard's timeline of
// changes, uptime) does not change.
func TestHistoryThinnedAfterRaw(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		db.HistorySampleEvery = 10 * time.Minute
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		start := now.Add(-10 * 24 * time.Hour)
		// A heartbeat every 5 minutes for 10 days: plex stops for 15 minutes
		// once a day, and its pid changes (a restart) once a day; sonarr
		// fails at noon with a reason that changes at 1 pm.
		for ts := start; ts.Before(now); ts = ts.Add(5 * time.Minute) {
			plex := report("plex", homelabcmd.StatusRunning)
			if ts.Hour() == 3 && ts.Minute() < 15 {
				plex = report("plex", homelabcmd.StatusStopped)
			} else if ts.Hour() >= 7 {
				plex.PID = ptr(4321)
			}
			sonarr := report("sonarr", homelabcmd.StatusRunning)
			if ts.Hour() == 12 || ts.Hour() == 13 {
				sonarr = report("sonarr", homelabcmd.StatusFailed)
				sonarr.StatusReason = ptr("exit-code")
				if ts.Hour() == 13 {
					sonarr.StatusReason = ptr("signal")
				}
			}
			db.Now = func() time.Time { return ts }
			if _, err := db.Ingest(ctx, heartbeat("nas", ts, plex, sonarr), homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
		}
		db.Now = func() time.Time { return now }
		r := Retention{Raw: 2 * 24 * time.Hour, History: 8 * 24 * time.Hour, Hourly: 90 * 24 * time.Hour, Daily: 365 * 24 * time.Hour}
		type view struct {
			changes []string
			uptime  [2]any
		}
		look := func(name string) view {
			hist, _, err := db.ServiceHistory(ctx, "nas", name, homelabcmd.HistoryFilter{Limit: 10000, From: ptr(now.Add(-r.History))})
			if err != nil {
				t.Fatal(err)
			}
			var v view
			var last string
			for i := len(hist) - 1; i >= 0; i-- {
				h := hist[i]
				key := string(h.Status) + "/" + derefString(h.StatusReason) + "/" + fmt.Sprint(deref(toFloat(h.PID)))
				if key != last {
					v.changes = append(v.changes, h.Timestamp.Format(time.RFC3339)+" "+key)
					last = key
				}
			}
			for i, since := range []time.Time{now.Add(-24 * time.Hour), now.Add(-7 * 24 * time.Hour)} {
				up, err := db.ServiceUptime(ctx, "nas", name, since)
				if err != nil {
					t.Fatal(err)
				}
				v.uptime[i] = deref(up)
			}
			return v
		}
		before := map[string]view{"plex": look("plex"), "sonarr": look("sonarr")}
		recent := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE timestamp >= $1`, now.Add(-r.Raw))
		all := countRows(t, db, `SELECT COUNT(*) FROM service_status`)
		for range 2 { // a second run finds nothing more to do
			if _, err := db.Prune(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		after := countRows(t, db, `SELECT COUNT(*) FROM service_status`)
		t.Logf("history rows: %d before, %d after", all, after)
		if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE timestamp < $1`, now.Add(-r.History)); n != 0 {
			t.Fatalf("%d history rows older than retention_history", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE timestamp >= $1`, now.Add(-r.Raw)); n != recent {
			t.Fatalf("recent history thinned: %d rows, had %d", n, recent)
		}
		// Thinned: each service has at most the hour's first sample plus its changes an hour.
		if max := 2 * (24*6 + 3*6); after-recent > max {
			t.Fatalf("%d thinned rows, want at most %d", after-recent, max)
		}
		// Every hour of the thinned days still has a sample of each service.
		for _, name := range []string{"plex", "sonarr"} {
			for h := now.Add(-r.History).Truncate(time.Hour); h.Before(now.Add(-r.Raw)); h = h.Add(time.Hour) {
				if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE service_name = $1 AND timestamp >= $2 AND timestamp < $3`, name, h, h.Add(time.Hour)); n == 0 {
					t.Fatalf("%s: no sample in the hour from %v", name, h)
				}
			}
			got := look(name)
			if fmt.Sprint(got) != fmt.Sprint(before[name]) {
				t.Fatalf("%s: changes or uptime moved by thinning:\nbefore %v\nafter  %v", name, before[name], got)
			}
		}
	})
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func toFloat(p *int) *float64 {
	if p == nil {
		return nil
	}
	f := float64(*p)
	return &f
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
