package hub_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
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

// Alerts opening on one server within 10 s of a notified one wait for the
// window's end and go out together; one that resolves meanwhile is marked
// in it instead of a separate "resolved".
func TestOpeningsWithinTheWindowGoOutTogether(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		noRecoveryHold(t, db) // b's quick recovery resolves at once
		mustCreateServer(t, db, "nas")
		for _, s := range []string{"a", "b", "c"} {
			mustExpect(t, db, "nas", s, false)
		}
		mustChannel(t, db, "all", "low", true)
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", run), report("c", run)))
		clk.advance(3 * time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", stop), report("c", run)))
		clk.advance(2 * time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", stop), report("c", stop)))
		clk.advance(time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", run), report("c", stop)))
		mustEvents(t, db, "opened", "opened") // a at once; b and c held together, b's resolution in it
		if due, _ := db.HasDueNotifications(ctx); !due {
			t.Fatal("a's notification is not due")
		}
		clk.advance(4*time.Second - time.Millisecond)
		got, err := db.ClaimNotifications(ctx, "test", time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("due before the window's end: %d %v", len(got), err)
		}
		clk.advance(time.Millisecond)
		got, err = db.ClaimNotifications(ctx, "test", time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("due at the window's end: %d %v", len(got), err)
		}
		var m struct {
			Title  string `json:"title"`
			Alerts []struct {
				ServiceName string `json:"service_name"`
				Resolved    bool   `json:"resolved"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal(got[0].Payload, &m); err != nil || m.Title != "2 alerts on nas" || len(m.Alerts) != 2 ||
			m.Alerts[0].ServiceName != "b" || !m.Alerts[0].Resolved || m.Alerts[1].Resolved {
			t.Fatalf("grouped = %s", got[0].Payload)
		}
	})
}

func noRecoveryHold(t *testing.T, db *fixture) {
	t.Helper()
	p := alerting.ThresholdsPatch{}
	p.Flapping = &struct {
		Changes             *int `json:"changes"`
		WindowSeconds       *int `json:"window_seconds"`
		StableSeconds       *int `json:"stable_seconds"`
		RecoveryHoldSeconds *int `json:"recovery_hold_seconds"`
	}{RecoveryHoldSeconds: ptr(0)}
	if _, _, err := db.UpdateThresholds(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// A short outage resolves when its recovery has held for the recovery
// hold (10 s by default), by the clock job when no report comes: one
// "opened", one "resolved", and a return within the hold stays one alert.
func TestShortOutageResolvesAfterTheRecoveryHold(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", false)
		mustChannel(t, db, "all", "low", true)
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop)))
		clk.advance(2 * time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", run)))
		clk.advance(5 * time.Second)
		if n, err := db.SettleRecoveries(ctx); err != nil || n != 0 {
			t.Fatalf("settled during the hold: %d, %v", n, err)
		}
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop))) // down again within the hold: same alert
		clk.advance(time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", run)))
		clk.advance(10 * time.Second)
		if n, err := db.SettleRecoveries(ctx); err != nil || n != 1 {
			t.Fatalf("settled after the hold: %d, %v", n, err)
		}
		if n, _ := db.SettleRecoveries(ctx); n != 0 {
			t.Fatalf("settled twice: %d", n)
		}
		mustEvents(t, db, "opened", "resolved")
		if _, total, err := db.ListAlerts(ctx, homelabcmd.AlertFilter{Status: "open"}); err != nil || total != 0 {
			t.Fatalf("open alerts = %d, %v", total, err)
		}
	})
}

// With a group wait, the first opening of a quiet server waits too, so the
// openings of a burst spread over several heartbeats go out as one; a
// critical opening pages at once.
func TestGroupWaitSendsABurstAsOne(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		if _, _, err := db.UpdateThresholds(ctx, alerting.ThresholdsPatch{GroupWaitSeconds: ptr(10)}); err != nil {
			t.Fatal(err)
		}
		mustCreateServer(t, db, "nas")
		for _, s := range []string{"a", "b", "c"} {
			mustExpect(t, db, "nas", s, false)
		}
		mustChannel(t, db, "all", "low", true)
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", run), report("c", run)))
		clk.advance(3 * time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", stop), report("c", run)))
		clk.advance(4 * time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("a", stop), report("b", stop), report("c", stop)))
		clk.advance(3*time.Second - time.Millisecond)
		if got, err := db.ClaimNotifications(ctx, "test", time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("due before the wait ended: %d %v", len(got), err)
		}
		clk.advance(time.Millisecond)
		got, err := db.ClaimNotifications(ctx, "test", time.Minute, 10)
		if err != nil || len(got) != 1 || !strings.Contains(string(got[0].Payload), "3 alerts on nas") {
			t.Fatalf("after the wait: %v %v", got, err)
		}
		if err := db.CompleteNotification(ctx, got[0].ID, "test"); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Minute)
		hb := heartbeat("nas", clk.now, report("a", stop), report("b", stop), report("c", stop))
		hb.Metrics.DiskPercent = ptr(97.0) // critical
		mustIngest(t, db, hb)
		if got, err := db.ClaimNotifications(ctx, "test", time.Minute, 10); err != nil || len(got) != 1 {
			t.Fatalf("critical opening not at once: %d %v", len(got), err)
		}
	})
}
