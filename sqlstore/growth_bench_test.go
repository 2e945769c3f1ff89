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
// outages a day, realistic metrics — with the default sparse history, runs
// the rollups, and reports the database size it took: MB per server per
// month. Run it with -benchtime=1x.
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
		}
		db.Now = func() time.Time { return start.Add(30 * 24 * time.Hour) }
		if err := db.Rollup(ctx); err != nil {
			b.Fatal(err)
		}
		grown := dbBytes(b, db) - before
		rows := countRows(b, db, `SELECT COUNT(*) FROM service_status`)
		b.ReportMetric(float64(grown)/1e6, "MB/server/month")
		b.ReportMetric(float64(rows), "history-rows")
		b.Logf("30 days, 1 server, 20 services, 60 s interval: %.2f MB, %d history rows, %d metrics rows", float64(grown)/1e6, rows,
			countRows(b, db, `SELECT COUNT(*) FROM metrics`))
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
