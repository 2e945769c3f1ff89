package sqlstore

import (
	"context"
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
		hours := got["nas"]
		want := int(now.Truncate(time.Hour).Sub(from)/time.Hour) + 1 // every hour since from, the current one too
		if len(hours) != want || len(got) != 1 {
			t.Fatalf("%d hours (want %d), servers %d", len(hours), want, len(got))
		}
		for i, h := range hours {
			want := 50.0
			if i == len(hours)-1 {
				want = 40 // the current hour has its first sample only
			}
			if h.CPU != want || (i > 0 && !h.Hour.Equal(hours[i-1].Hour.Add(time.Hour))) {
				t.Fatalf("hour %d = %+v", i, h)
			}
		}
		if !hours[0].Hour.Equal(from) || hours[len(hours)-1].Hour != now.Truncate(time.Hour) {
			t.Fatalf("first %v last %v", hours[0].Hour, hours[len(hours)-1].Hour)
		}
		one, err := db.HourlyCPU(ctx, "nas", now.Add(-time.Hour))
		if err != nil || len(one["nas"]) != 2 {
			t.Fatalf("one server: %v %v", one, err)
		}
	})
}
