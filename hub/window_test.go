package hub_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/pgnotify"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
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
		if err := db.Engine.CreateMaintenanceWindow(ctx, w); err != nil {
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

// quietNas creates, through eng, a maintenance window over nas at the
// test clock's noon.
func quietNas(t *testing.T, eng *hub.Engine) {
	t.Helper()
	nas := "nas"
	w := &homelabcmd.MaintenanceWindow{Name: "updates", ServerID: &nas, Start: "11:30", End: "12:10", TimeZone: "UTC"}
	if err := eng.CreateMaintenanceWindow(context.Background(), w); err != nil {
		t.Fatal(err)
	}
}

// The engine keeps the windows between heartbeats; one it creates applies
// to the very next heartbeat, and one it deletes stops applying.
func TestMaintenanceWindowAppliesToNextHeartbeat(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", false)
		mustChannel(t, db, "all", "low", true)
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", run))) // the engine now keeps "no windows"
		quietNas(t, db.Engine)
		clk.advance(time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop)))
		mustEvents(t, db) // held by the window
		list, err := db.ListMaintenanceWindows(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("windows = %v, %v", list, err)
		}
		if err := db.Engine.DeleteMaintenanceWindow(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop), report("smbd", stop)))
		mustExpect(t, db, "nas", "smbd", false)
		clk.advance(time.Second)
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop), report("smbd", stop)))
		mustEvents(t, db, "opened") // smbd, no longer held (plex's goes out with the release)
	})
}

// A window created on another hub (another engine on the same database)
// applies to this hub's next heartbeat once its maintenance.changed event
// arrives: through pg_notify on PostgreSQL; on SQLite, which has one hub,
// the test hands the event over.
func TestMaintenanceWindowFromAnotherHub(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		open := func(origin string) *fixture {
			db, err := sqlstore.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			events := live.NewBroker()
			db.Origin, db.Events = origin, events
			return &fixture{DB: db, Engine: hub.New(db, events, hub.Options{NotifyGuard: notify.NewGuard(true)}), Events: events}
		}
		a := open("hub-a")
		if err := a.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		b := open("hub-b")
		clk := setupAlerting(t, a)
		b.DB.Now = a.DB.Now
		mustCreateServer(t, a, "nas")
		mustExpect(t, a, "nas", "plex", false)
		mustChannel(t, a, "all", "low", true)
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		mustIngest(t, b, heartbeat("nas", clk.now, report("plex", run))) // hub b now keeps "no windows"

		// The events hub b hears: from the database on PostgreSQL, else
		// from hub a's broker (the same process).
		from := a.Events
		if strings.HasPrefix(dbURL, "postgres") {
			from = b.Events
			pgnotify.Listen(ctx, b.PostgresDSN(), "hub-b", b.Events, slog.New(slog.DiscardHandler))
		}
		heard := from.Subscribe(ctx)
		if strings.HasPrefix(dbURL, "postgres") {
			// LISTEN starts asynchronously: announce until hub b hears one.
			primed := false
			for deadline := time.Now().Add(20 * time.Second); !primed; {
				if time.Now().After(deadline) {
					t.Fatal("hub b never heard hub a")
				}
				if err := a.InTx(ctx, func(tx homelabcmd.Tx) error { tx.Announce(homelabcmd.Event{Type: "test.ping"}); return nil }); err != nil {
					t.Fatal(err)
				}
				select {
				case <-heard:
					primed = true
				case <-time.After(200 * time.Millisecond):
				}
			}
		}

		quietNas(t, a.Engine)
		for got := false; !got; {
			select {
			case ev := <-heard:
				if ev.Type == homelabcmd.EventMaintenanceChanged {
					if !ev.Internal() {
						t.Fatal("maintenance.changed would reach dashboards")
					}
					b.Observe(ev)
					got = true
				}
			case <-time.After(20 * time.Second):
				t.Fatal("hub b never heard of the window")
			}
		}
		clk.advance(time.Second)
		mustIngest(t, b, heartbeat("nas", clk.now, report("plex", stop)))
		mustEvents(t, b) // held by hub a's window
	})
}

// An alert notified before a maintenance window that resolves inside it is
// not left without its "resolved": that goes out when the window ends.
func TestResolvedInsideWindowIsToldAtItsEnd(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db) // 12:00 UTC
		clk.advance(-time.Hour)     // 11:00, before the 11:30–12:10 window
		mustCreateServer(t, db, "nas")
		mustExpect(t, db, "nas", "plex", false)
		mustChannel(t, db, "all", "low", true)
		run, stop := homelabcmd.StatusRunning, homelabcmd.StatusStopped
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", stop)))
		mustEvents(t, db, "opened")
		got, err := db.ClaimNotifications(ctx, "test", time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("opening due at once: %d %v", len(got), err)
		}
		if err := db.CompleteNotification(ctx, got[0].ID, "test"); err != nil {
			t.Fatal(err)
		}
		quietNas(t, db.Engine)
		clk.advance(time.Hour) // 12:00, inside the window
		mustIngest(t, db, heartbeat("nas", clk.now, report("plex", run)))
		mustEvents(t, db, "opened", "resolved")
		if got, err := db.ClaimNotifications(ctx, "test", time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("resolved due inside the window: %d %v", len(got), err)
		}
		clk.advance(10 * time.Minute) // 12:10: the window ended
		got, err = db.ClaimNotifications(ctx, "test", time.Minute, 10)
		if err != nil || len(got) != 1 || !strings.Contains(string(got[0].Payload), "maintenance window") {
			t.Fatalf("resolved at the window's end: %v %v", got, err)
		}
	})
}
