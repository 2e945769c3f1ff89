package hub_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
)

// The daily cost snapshot stores each finished day once at that day's
// rate: a later run (a rate change since, or another hub at the same
// time) leaves stored days as they are.
func TestCaptureDailyCosts(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db) // 2026-11-26 12:00 UTC
		mustCreateServer(t, db, "nas")
		setRate := func(rate float64) {
			b, _ := json.Marshal(homelabcmd.CostConfig{ElectricityRate: rate, CurrencySymbol: "€"})
			if err := db.SetConfig(ctx, homelabcmd.CostConfigKey, string(b)); err != nil {
				t.Fatal(err)
			}
		}
		setRate(0.30)
		clk.advance(3 * 24 * time.Hour) // 29th, noon: the 26th (from noon), 27th and 28th are finished
		n, err := hub.CaptureDailyCosts(ctx, db, clk.now)
		if err != nil || n != 3 {
			t.Fatalf("first capture stored %d, %v", n, err)
		}
		snaps, err := db.DailyCosts(ctx, "nas", "2026-11-20", "2026-11-29")
		if err != nil || len(snaps["nas"]) != 3 {
			t.Fatalf("snapshots %v, %v", snaps, err)
		}
		day := snaps["nas"]["2026-11-27"]
		if day.Rate != 0.30 || day.CurrencySymbol != "€" || day.HoursOnline != 24 || day.KWh == 0 || day.Cost != round4(day.KWh*0.30) {
			t.Fatalf("27th %+v", day)
		}
		if half := snaps["nas"]["2026-11-26"]; half.HoursOnline != 12 {
			t.Fatalf("the day the server was added %+v", half)
		}
		// A new rate does not rewrite stored days.
		setRate(0.60)
		if n, err := hub.CaptureDailyCosts(ctx, db, clk.now); err != nil || n != 0 {
			t.Fatalf("second capture stored %d, %v", n, err)
		}
		again, _ := db.DailyCosts(ctx, "nas", "2026-11-27", "2026-11-27")
		if again["nas"]["2026-11-27"].Cost != day.Cost {
			t.Fatalf("stored day changed: %+v → %+v", day, again["nas"]["2026-11-27"])
		}
		// Two hubs capturing the next day at once: it is stored once.
		clk.advance(24 * time.Hour)
		var wg sync.WaitGroup
		stored := make([]int, 2)
		for i := range stored {
			wg.Go(func() {
				var err error
				if stored[i], err = hub.CaptureDailyCosts(ctx, db, clk.now); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		all, _ := db.DailyCosts(ctx, "", "2026-11-01", "2026-11-30")
		if stored[0]+stored[1] != 1 || len(all["nas"]) != 4 || all["nas"]["2026-11-29"].Rate != 0.60 {
			t.Fatalf("concurrent captures stored %v; rows %d; 29th %+v", stored, len(all["nas"]), all["nas"]["2026-11-29"])
		}
	})
}

func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }
