package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// BenchmarkMonthGrowth stores 30 days of one server's heartbeats — 20
// services, one heartbeat a minute (43,200 heartbeats), a few service
// outages a day, realistic metrics — with the default sparse history and
// the retention job (rollups, then prune) once a simulated day, as the hub
// runs it, and reports the database size it took: MB per server per month.
// Run it with -benchtime=1x.
func BenchmarkMonthGrowth(b *testing.B) {
	for range b.N {
		db := mustOpen(b, "sqlite:///"+filepath.Join(b.TempDir(), "month.db"), true)
		db.HistorySampleEvery = 10 * time.Minute
		ctx := context.Background()
		before := dbBytes(b, db)
		start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		const beats = 30 * 24 * 60
		for i := range beats {
			ts := start.Add(time.Duration(i) * time.Minute)
			hb := benchHeartbeat(0, ts, 20)
			hb.ServerID, hb.Hostname = "nas", "nas"
			// Service k is down for 5 minutes once a day at hour k.
			for k := range hb.Services {
				if ts.Hour() == k && ts.Minute() < 5 {
					hb.Services[k] = report(hb.Services[k].Name, homelabcmd.StatusStopped)
				}
			}
			cpu := float64(i % 100)
			hb.Metrics.CPUPercent = &cpu
			db.Now = func() time.Time { return ts }
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
				b.Fatal(err)
			}
			if i%(24*60) == 24*60-1 {
				retentionJob(b, db)
			}
		}
		db.Now = func() time.Time { return start.Add(30 * 24 * time.Hour) }
		retentionJob(b, db)
		grown := dbBytes(b, db) - before
		rows := countRows(b, db, `SELECT COUNT(*) FROM service_status`)
		b.ReportMetric(float64(grown)/1e6, "MB/server/month")
		b.ReportMetric(float64(rows), "history-rows")
		b.Logf("30 days, 1 server, 20 services, 60 s interval: %.2f MB, %d history rows, %d metrics rows", float64(grown)/1e6, rows,
			countRows(b, db, `SELECT COUNT(*) FROM metrics`))
		logSpace(b, db)
	}
}

// retentionJob runs the hub's retention job: the rollups, then the prune.
func retentionJob(tb testing.TB, db *DB) {
	tb.Helper()
	if err := db.Rollup(context.Background()); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Prune(context.Background(), DefaultRetention); err != nil {
		tb.Fatal(err)
	}
}

// logSpace logs the bytes each table and index takes (the dbstat virtual
// table), largest first: where the month's growth goes.
func logSpace(tb testing.TB, db *DB) {
	tb.Helper()
	rows, err := db.write.Query(`SELECT name, SUM(pgsize) AS bytes, SUM(ncell) FROM dbstat GROUP BY name ORDER BY bytes DESC`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var bytes, cells int64
		if err := rows.Scan(&name, &bytes, &cells); err != nil {
			tb.Fatal(err)
		}
		if bytes >= 100_000 {
			tb.Logf("%-40s %8.2f MB %9d cells", name, float64(bytes)/1e6, cells)
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
}

// dbBytes is the space the database's pages use, WAL checkpointed.
func dbBytes(tb testing.TB, db *DB) int64 {
	tb.Helper()
	if _, err := db.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}
	var pages, free, size int64
	for q, dst := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := db.write.QueryRow(q).Scan(dst); err != nil {
			tb.Fatal(fmt.Errorf("%s: %w", q, err))
		}
	}
	return (pages - free) * size
}
