package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Inside a maintenance window alerts are recorded, not notified (critical
// ones page when the window says so); when it ends, the ones still open
// are notified once.
func TestMaintenanceWindowHoldsThenReleases(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db) // 12:00 UTC
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", false)
		mustExpect(t, db, "nas", "smbd", false)
		mustChannel(t, db, "all", "low", true)
		nas := "nas"
		w := &homelabcmd.MaintenanceWindow{Name: "updates", ServerID: &nas, Start: "11:30", End: "12:10", TimeZone: "UTC", PageCritical: true}
		if err := db.CreateMaintenanceWindow(ctx, w); err != nil {
			t.Fatal(err)
		}
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		hb := heartbeat("nas", clk.now, report("plex", stop), report("smbd", stop))
		hb.Metrics.DiskPercent = ptr(97.0)
		mustIngest(t, db, hb)
		mustEvents(t, db, "opened") // only the critical disk alert pages
		if n, err := db.ReleaseHeld(ctx); err != nil || n != 0 {
			t.Fatalf("release inside the window = %d, %v", n, err)
		}
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop), report("smbd", run))) // smbd back: silent
		mustEvents(t, db, "opened", "resolved")                                                 // the disk alert was told, so is its end
		clk.advance(10 * time.Minute)                                                           // 12:11: the window ended
		if n, err := db.ReleaseHeld(ctx); err != nil || n != 1 {
			t.Fatalf("release after the window = %d, %v", n, err)
		}
		if n, _ := db.ReleaseHeld(ctx); n != 0 {
			t.Fatalf("released twice: %d", n)
		}
		mustEvents(t, db, "opened", "resolved", "opened")
	})
}
