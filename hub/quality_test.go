package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// An agent whose clock is 10 minutes off either way alerts on the hub's
// time, and the server shows the skew.
func TestSkewedAgentAlertsAndIsFlagged(t *testing.T) {
	ctx := context.Background()
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db *fixture) {
				clk := setupAlerting(t, db)
				mustCreateServer(t, db, "nas")
				mustExpect(t, db, "nas", "plex", true)
				mustChannel(t, db, "all", "low", true)
				mustIngest(t, db, heartbeat("nas", clk.now.Add(skew), report("plex", homelabcmd.StatusRunning)))
				clk.advance(30 * time.Second)
				hb := heartbeat("nas", clk.now.Add(skew), report("plex", homelabcmd.StatusStopped))
				hb.Metrics.DiskPercent = ptr(96.0)
				mustIngest(t, db, hb)
				mustEvents(t, db, "opened") // disk and plex, grouped
				s, err := db.FindServer(ctx, "nas")
				if err != nil {
					t.Fatal(err)
				}
				if !s.ClockSkewed || s.ClockOffsetSeconds == nil || *s.ClockOffsetSeconds != skew.Seconds() {
					t.Errorf("server clock = %v skewed %v, want %v", s.ClockOffsetSeconds, s.ClockSkewed, skew)
				}
				// A replay from a 10 minute outage opens nothing; it resolves both.
				clk.advance(10 * time.Minute)
				mustIngest(t, db, heartbeat("nas", clk.now.Add(skew-9*time.Minute), report("plex", homelabcmd.StatusRunning)))
				mustEvents(t, db, "opened", "resolved", "resolved")
			})
		})
	}
}

// A reboot is stored resolved at once and notified once; a unit that is
// not found alerts after three heartbeats and resolves when deleted.
func TestRebootAndUnitNotFound(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plexx", false)
		mustChannel(t, db, "all", "low", true)
		nf := report("plexx", homelabcmd.StatusUnknown)
		nf.StatusReason = ptr("unit not found")
		beat := func(up int64) {
			clk.advance(30 * time.Second)
			hb := heartbeat("nas", clk.now, nf)
			hb.Metrics.UptimeSeconds = &up
			mustIngest(t, db, hb)
		}
		beat(3600)
		beat(3630)
		beat(10)
		mustEvents(t, db, "opened") // the reboot and the unit, grouped
		alerts, _, _ := db.ListAlerts(ctx, homelabcmd.AlertFilter{AlertType: homelabcmd.AlertReboot})
		if len(alerts) != 1 || alerts[0].Status != homelabcmd.AlertResolved {
			t.Fatalf("reboot alerts = %+v", alerts)
		}
		units, _, _ := db.ListAlerts(ctx, homelabcmd.AlertFilter{AlertType: homelabcmd.AlertUnit, Status: homelabcmd.AlertOpen})
		if len(units) != 1 || units[0].Title != "plexx is not a unit on nas (typo?)" {
			t.Fatalf("unit alerts = %+v", units)
		}
		if err := db.Engine.DeleteExpectedService(ctx, "nas", "plexx"); err != nil {
			t.Fatal(err)
		}
		mustEvents(t, db, "opened", "resolved")
		if a, _ := db.FindAlert(ctx, units[0].ID); a.Status != homelabcmd.AlertResolved || a.ResolutionReason == nil {
			t.Fatalf("unit alert after delete = %+v", a)
		}
	})
}
