package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// HourlyCPU reads hours whose raw samples are gone from the hourly rollup,
// and the raw samples (grouped by hour) where they are kept, on both engines.
func TestHourlyCPU(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		now := time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		// Two samples an hour, 40 and 60 %, for two days.
		start := now.Add(-48 * time.Hour).Truncate(time.Hour)
		for ts := start; ts.Before(now); ts = ts.Add(30 * time.Minute) {
			hb := heartbeat("nas", ts)
			cpu := 40.0
			if ts.Minute() == 30 {
				cpu = 60
			}
			hb.Metrics.CPUPercent = &cpu
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
		}
		mustCreateServer(t, db, "idle") // no samples at all
		if err := db.Rollup(ctx); err != nil {
			t.Fatal(err)
		}
		// The raw samples of the first day are gone (as pruning does).
		cut := now.Add(-24 * time.Hour).Truncate(24 * time.Hour)
		if _, err := db.write.ExecContext(ctx, `DELETE FROM metrics WHERE timestamp < $1`, cut); err != nil {
			t.Fatal(err)
		}
		from := now.Add(-40 * time.Hour).Truncate(time.Hour)
		got, err := db.HourlyCPU(ctx, "", from)
		if err != nil {
			t.Fatal(err)
		}
		// Per day from the rollups (from 20:00 on the 24th; the 26th's
		// complete hours up to 11:00), then the current hour from raw samples.
		hours := got["nas"]
		type row struct {
			at    string
			cpu   float64
			hours int
		}
		var rows []row
		for _, h := range hours {
			rows = append(rows, row{h.Hour.Format(time.RFC3339), h.CPU, h.Hours})
		}
		want := []row{{"2026-11-24T00:00:00Z", 50, 4}, {"2026-11-25T00:00:00Z", 50, 24}, {"2026-11-26T00:00:00Z", 50, 12}, {"2026-11-26T12:00:00Z", 40, 1}}
		if len(got) != 1 || fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Fatalf("hours %v, want %v (servers %d)", rows, want, len(got))
		}
		one, err := db.HourlyCPU(ctx, "nas", now.Add(-time.Hour))
		if err != nil || len(one["nas"]) != 2 || one["nas"][0].Hours != 1 { // raw: the 11:30 and 12:00 samples (no rollup since 11:30)
			t.Fatalf("one server: %v %v", one, err)
		}
	})
}

// BenchmarkHourlyCPU12m reads the heaviest cost estimate's input: 20
// servers with a year of hourly rollups and 30 days of raw samples (one a
// minute), all servers over 30 and 365 days (GET /costs/summary?period=30d
// and 12m, /costs/summary/monthly). Run it with -benchtime=3x.
func BenchmarkHourlyCPU12m(b *testing.B) {
	ctx := context.Background()
	db := mustOpen(b, "sqlite:///"+filepath.Join(b.TempDir(), "cost.db"), true)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for s := range 20 {
		id := fmt.Sprintf("srv-%02d", s)
		mustCreateServer(b, db, id)
		if err := db.inTx(ctx, func(tx *Tx) error {
			for h := range 365 * 24 {
				ts := now.Add(-time.Duration(h) * time.Hour)
				if _, err := tx.ExecContext(ctx, `INSERT INTO metrics_hourly (server_id, timestamp, cpu_avg, sample_count) VALUES ($1, $2, $3, 60)`, id, ts, float64(h%100)); err != nil {
					return err
				}
				if h < 30*24 {
					for m := range 60 {
						if _, err := tx.ExecContext(ctx, `INSERT INTO metrics (server_id, timestamp, cpu_percent) VALUES ($1, $2, $3)`, id, ts.Add(time.Duration(m)*time.Minute), float64(m)); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	for _, days := range []int{30, 365} {
		b.Run(fmt.Sprintf("%dd", days), func(b *testing.B) {
			for range b.N {
				got, err := db.HourlyCPU(ctx, "", now.Add(-time.Duration(days)*24*time.Hour))
				if err != nil || len(got) != 20 {
					b.Fatalf("%d servers, %v", len(got), err)
				}
			}
		})
	}
}
