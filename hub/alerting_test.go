package hub_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/notify"
)

// alertClock makes db.Now a settable clock.
type alertClock struct{ now time.Time }

func (c *alertClock) advance(d time.Duration) { c.now = c.now.Add(d) }

func setupAlerting(t *testing.T, db *fixture) *alertClock {
	t.Helper()
	c := &alertClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return c.now }
	return c
}

func mustChannel(t *testing.T, db *fixture, name, minSev string, sendResolved bool) *homelabcmd.Channel {
	t.Helper()
	c := &homelabcmd.Channel{Name: name, Type: "webhook", Config: json.RawMessage(`{"url":"http://127.0.0.1:1/h","secret":"0123456789abcdef"}`),
		MinSeverity: minSev, SendResolved: sendResolved, Enabled: true}
	if err := db.CreateChannel(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustIngest(t *testing.T, db *fixture, hb *homelabcmd.Heartbeat) {
	t.Helper()
	if _, err := db.Ingest(context.Background(), hb, homelabcmd.IngestMeta{}); err != nil {
		t.Fatal(err)
	}
}

func outboxEvents(t *testing.T, db *fixture) []string {
	t.Helper()
	rows, err := db.ListOutbox(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].Event)
	}
	return out
}

func mustEvents(t *testing.T, db *fixture, want ...string) {
	t.Helper()
	got := outboxEvents(t, db)
	if len(got) != len(want) {
		t.Fatalf("outbox events = %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("outbox events = %q, want %q", got, want)
		}
	}
}

func mustExpect(t *testing.T, db *fixture, server, name string, critical bool) {
	t.Helper()
	s := homelabcmd.NewExpectedService(server, name)
	s.IsCritical = critical
	if err := db.CreateExpectedService(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func TestServiceAlertsWithOutbox(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", true)
		mustExpect(t, db, "nas", "smbd", false)
		mustChannel(t, db, "all", "medium", true)
		mustChannel(t, db, "urgent", "high", false)

		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusFailed)))
		alerts, total, err := db.ListAlerts(ctx, homelabcmd.AlertFilter{Status: "open"})
		if err != nil || total != 2 {
			t.Fatalf("open alerts = %d, %v", total, err)
		}
		// plex (high) reaches both channels; smbd (medium) only "all", in
		// one grouped notification with plex.
		mustEvents(t, db, "opened", "opened")

		// Still down: no second alert, no notification.
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusFailed)))
		if _, total, _ = db.ListAlerts(ctx, homelabcmd.AlertFilter{}); total != 2 {
			t.Fatalf("alerts after a repeat report = %d", total)
		}

		// Acknowledge plex while it is down, then it runs: auto-resolved.
		var plex *homelabcmd.Alert
		for _, a := range alerts {
			if *a.ServiceName == "plex" {
				plex = a
			}
		}
		if a, err := db.AcknowledgeAlert(ctx, plex.ID, "alice"); err != nil || a.Status != homelabcmd.AlertAcknowledged ||
			a.AcknowledgedBy == nil || *a.AcknowledgedBy != "alice" {
			t.Fatalf("acknowledge = %+v, %v", a, err)
		}
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusRunning), report("smbd", homelabcmd.StatusFailed)))
		a, _ := db.FindAlert(ctx, plex.ID)
		if a.Status != homelabcmd.AlertResolved || !a.AutoResolved {
			t.Fatalf("acknowledged alert after running = %+v", a)
		}
		// The resolution reaches "all" only ("urgent" does not want resolutions).
		mustEvents(t, db, "opened", "opened", "resolved")
		if a.AcknowledgedBy == nil || *a.AcknowledgedBy != "alice" || a.ResolvedBy != nil {
			t.Errorf("auto-resolved alert: acknowledged_by %v, resolved_by %v", a.AcknowledgedBy, a.ResolvedBy)
		}
		if _, err := db.AcknowledgeAlert(ctx, plex.ID, "alice"); homelabcmd.ErrorCode(err) != homelabcmd.EINVALIDSTATE {
			t.Errorf("acknowledging a resolved alert: %v", err)
		}
	})
}

// A channel's severity set is stored and routes: a channel without
// "high" hears the medium and critical service alerts but not the high one.
func TestChannelSeveritiesRoute(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", true) // critical service: a high alert
		c := &homelabcmd.Channel{Name: "no-high", Type: "webhook", Config: json.RawMessage(`{"url":"http://127.0.0.1:1/h","secret":"0123456789abcdef"}`),
			MinSeverity: "medium", Severities: []string{"medium", "critical"}, SendResolved: true, Enabled: true}
		if err := db.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindChannel(ctx, c.ID)
		if err != nil || len(got.Severities) != 2 || got.Severities[0] != "medium" || got.Severities[1] != "critical" {
			t.Fatalf("stored channel %+v, %v", got, err)
		}
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped)))
		mustEvents(t, db) // high: not for this channel
		mustExpect(t, db, "nas", "smbd", false)
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusFailed)))
		mustEvents(t, db, "opened") // medium
		all := []string{}
		if _, err := db.UpdateChannel(ctx, c.ID, homelabcmd.ChannelUpdate{Severities: &all}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FindChannel(ctx, c.ID); len(got.Severities) != 0 {
			t.Fatalf("cleared severities %v", got.Severities)
		}
		bad := []string{"urgent"}
		if _, err := db.UpdateChannel(ctx, c.ID, homelabcmd.ChannelUpdate{Severities: &bad}); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
			t.Fatalf("unknown severity: %v", err)
		}
	})
}

func TestPausedServerRecordsWithoutNotifying(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", true)
		mustChannel(t, db, "all", "low", true)
		mustExpect(t, db, "nas", "smbd", true)
		if _, err := db.Engine.SetServerPaused(ctx, "nas", true); err != nil {
			t.Fatal(err)
		}
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusStopped)))
		if _, total, _ := db.ListAlerts(ctx, homelabcmd.AlertFilter{}); total != 2 {
			t.Fatalf("alerts = %d, want the alerts recorded", total)
		}
		mustEvents(t, db)
		// smbd recovers while paused: nothing was said, nothing to resolve.
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusRunning)))
		mustEvents(t, db)
		// Unpausing with plex still down tells it once, marked.
		if _, err := db.Engine.SetServerPaused(ctx, "nas", false); err != nil {
			t.Fatal(err)
		}
		mustEvents(t, db, "opened")
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusRunning)))
		if _, err := db.Engine.SetServerPaused(ctx, "nas", true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Engine.SetServerPaused(ctx, "nas", false); err != nil {
			t.Fatal(err)
		}
		mustEvents(t, db, "opened")
		// Its resolution goes out: its opening did.
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusRunning), report("smbd", homelabcmd.StatusRunning)))
		mustEvents(t, db, "opened", "resolved")
	})
}

// Deleting or disabling an expected service resolves its open alert, with
// the reason recorded and the resolution notified.
func TestWithdrawnServiceResolvesItsAlert(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", true)
		mustExpect(t, db, "nas", "smbd", true)
		mustChannel(t, db, "all", "low", true)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusStopped)))
		mustEvents(t, db, "opened") // grouped
		if err := db.Engine.DeleteExpectedService(ctx, "nas", "plex"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Engine.UpdateExpectedService(ctx, "nas", "smbd", homelabcmd.ExpectedServiceUpdate{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		mustEvents(t, db, "opened", "resolved", "resolved")
		alerts, _, _ := db.ListAlerts(ctx, homelabcmd.AlertFilter{})
		reasons := map[string]string{}
		for _, a := range alerts {
			if a.Status != homelabcmd.AlertResolved || a.ResolutionReason == nil {
				t.Fatalf("alert after withdrawal = %+v", a)
			}
			reasons[*a.ServiceName] = *a.ResolutionReason
		}
		if reasons["plex"] != "expected service deleted" || reasons["smbd"] != "expected service disabled" {
			t.Errorf("reasons = %v", reasons)
		}
		// Still down, but no longer expected: nothing opens again.
		clk.advance(time.Minute)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped), report("smbd", homelabcmd.StatusStopped)))
		mustEvents(t, db, "opened", "resolved", "resolved")
	})
}

func TestOfflineAndReminderJobs(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustChannel(t, db, "all", "medium", true)
		mustIngest(t, db, heartbeat("nas", clk.now))
		mustIngest(t, db, heartbeat("desk", clk.now))
		if _, err := db.UpdateServer(ctx, "desk", homelabcmd.ServerUpdate{MachineType: ptr(homelabcmd.MachineWorkstation)}); err != nil {
			t.Fatal(err)
		}
		clk.advance(180 * time.Second)
		if n, err := db.CheckOffline(ctx); err != nil || n != 0 {
			t.Fatalf("at exactly the timeout: %d offline, %v", n, err)
		}
		clk.advance(time.Second)
		if n, err := db.CheckOffline(ctx); err != nil || n != 2 {
			t.Fatalf("offline = %d, %v; want both servers", n, err)
		}
		if n, _ := db.CheckOffline(ctx); n != 0 {
			t.Fatalf("second check took %d more servers offline", n)
		}
		alerts, total, _ := db.ListAlerts(ctx, homelabcmd.AlertFilter{AlertType: "offline"})
		if total != 1 || alerts[0].ServerID != "nas" || alerts[0].Severity != homelabcmd.SeverityCritical {
			t.Fatalf("offline alerts = %+v (the workstation must have none)", alerts)
		}
		mustEvents(t, db, "opened")

		// Offline is critical: it reminds every 30 min, not before.
		clk.advance(29 * time.Minute)
		if n, err := db.SendReminders(ctx); err != nil || n != 0 {
			t.Fatalf("reminders after 29 min = %d, %v", n, err)
		}
		clk.advance(time.Minute)
		if n, err := db.SendReminders(ctx); err != nil || n != 1 {
			t.Fatalf("reminders after 30 min = %d, %v", n, err)
		}
		if n, _ := db.SendReminders(ctx); n != 0 {
			t.Fatalf("a reminder repeated at once: %d", n)
		}
		mustEvents(t, db, "opened", "reminder")

		// The next heartbeat resolves it.
		mustIngest(t, db, heartbeat("nas", clk.now))
		a, _ := db.FindAlert(ctx, alerts[0].ID)
		if a.Status != homelabcmd.AlertResolved || !a.AutoResolved {
			t.Fatalf("offline alert after a heartbeat = %+v", a)
		}
		mustEvents(t, db, "opened", "reminder", "resolved")
	})
}

func TestMetricAlertsAndThresholds(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustChannel(t, db, "all", "medium", true)
		hb := func(disk float64) *homelabcmd.Heartbeat {
			h := heartbeat("nas", clk.now)
			h.Metrics.DiskPercent = &disk
			return h
		}
		mustIngest(t, db, hb(85))
		mustIngest(t, db, hb(96))
		alerts, total, _ := db.ListAlerts(ctx, homelabcmd.AlertFilter{AlertType: "disk"})
		if total != 1 || alerts[0].Severity != homelabcmd.SeverityCritical || *alerts[0].ActualValue != 96 {
			t.Fatalf("disk alerts = %d %+v", total, alerts)
		}
		mustIngest(t, db, hb(50))
		mustEvents(t, db, "opened", "escalated", "resolved")

		th, updated, err := db.UpdateThresholds(ctx, alerting.ThresholdsPatch{Disk: &alerting.MetricThresholdPatch{HighPercent: ptr(40)}})
		if err != nil || th.Disk.HighPercent != 40 || len(updated) != 1 {
			t.Fatalf("update = %+v %q %v", th, updated, err)
		}
		if got, _ := db.Thresholds(ctx); got.Disk.HighPercent != 40 || got.CPU.HighPercent != 85 {
			t.Fatalf("stored thresholds = %+v", got)
		}
		mustIngest(t, db, hb(50))
		mustEvents(t, db, "opened", "escalated", "resolved", "opened")
		if _, _, err := db.UpdateThresholds(ctx, alerting.ThresholdsPatch{Disk: &alerting.MetricThresholdPatch{CriticalPercent: ptr(30)}}); !homelabcmd.IsInvalid(err) {
			t.Fatalf("critical below high: %v", err)
		}
	})
}

func TestOutboxClaims(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", false)
		mustChannel(t, db, "all", "medium", true)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", homelabcmd.StatusStopped)))

		if due, _ := db.HasDueNotifications(ctx); !due {
			t.Fatal("nothing due after an alert opened")
		}
		got, err := db.ClaimNotifications(ctx, "hub-a", time.Minute, 10)
		if err != nil || len(got) != 1 || payload(t, got[0]).ServiceName != "plex" || got[0].Channel.Name != "all" || got[0].Attempts != 1 {
			t.Fatalf("claim = %+v, %v", got, err)
		}
		if again, _ := db.ClaimNotifications(ctx, "hub-b", time.Minute, 10); len(again) != 0 {
			t.Fatalf("a claimed row was claimed again: %+v", again)
		}
		// hub-a fails with a retry in 10 s.
		retry := clk.now.Add(10 * time.Second)
		if err := db.FailNotification(ctx, got[0].ID, "hub-a", "HTTP 503", &retry); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.ClaimNotifications(ctx, "hub-b", time.Minute, 10); len(again) != 0 {
			t.Fatal("claimed before the retry time")
		}
		clk.advance(10 * time.Second)
		again, _ := db.ClaimNotifications(ctx, "hub-b", time.Minute, 10)
		if len(again) != 1 || again[0].Attempts != 2 {
			t.Fatalf("retry claim = %+v", again)
		}
		// hub-b dies: after the lease another hub takes over; hub-b's late
		// completion is ignored.
		clk.advance(61 * time.Second)
		third, _ := db.ClaimNotifications(ctx, "hub-c", time.Minute, 10)
		if len(third) != 1 {
			t.Fatalf("expired lease not reclaimed: %+v", third)
		}
		if err := db.CompleteNotification(ctx, third[0].ID, "hub-b"); err != nil {
			t.Fatal(err)
		}
		if rows, _ := db.ListOutbox(ctx, "sent", 10); len(rows) != 0 {
			t.Fatal("a stale owner completed the row")
		}
		if err := db.CompleteNotification(ctx, third[0].ID, "hub-c"); err != nil {
			t.Fatal(err)
		}
		if rows, _ := db.ListOutbox(ctx, "sent", 10); len(rows) != 1 {
			t.Fatal("the owner's completion did not stick")
		}
		if due, _ := db.HasDueNotifications(ctx); due {
			t.Fatal("still due after being sent")
		}
	})
}

// payload decodes a claimed row's message.
func payload(t *testing.T, c homelabcmd.ClaimedNotification) notify.Message {
	t.Helper()
	var m notify.Message
	if err := json.Unmarshal(c.Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
