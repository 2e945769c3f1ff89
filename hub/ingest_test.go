package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// A heartbeat's events reach subscribers when its transaction commits; a
// refused heartbeat announces nothing. The agent token's last use is
// recorded in the heartbeat's own transaction.
func TestIngestAnnouncesAtCommit(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		sub := db.Events.Subscribe(t.Context())
		mustCreateServer(t, db, "nas")
		guid := homelabcmd.NewGUID()
		if _, err := db.IssueAgentToken(ctx, "nas", guid); err != nil {
			t.Fatal(err)
		}
		meta := homelabcmd.IngestMeta{BoundServerID: "nas", TokenGUID: guid}
		if _, err := db.Ingest(ctx, heartbeat("nas", time.Now(), report("plex", homelabcmd.StatusRunning)), meta); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for len(sub) > 0 {
			got[(<-sub).Type]++
		}
		if got[homelabcmd.EventServerUpdated] != 1 || got[homelabcmd.EventServiceChanged] != 1 || len(got) != 2 {
			t.Fatalf("events after a heartbeat: %v", got)
		}
		if c, err := db.FindAgentCredential(ctx, guid); err != nil || c.LastUsedAt == nil {
			t.Fatalf("credential after a heartbeat: %+v, %v", c, err)
		}

		// A token used for another server: refused, nothing announced.
		if _, err := db.Ingest(ctx, heartbeat("pi", time.Now()), meta); homelabcmd.ErrorCode(err) != homelabcmd.EFORBIDDEN {
			t.Fatalf("foreign report: %v", err)
		}
		if len(sub) != 0 {
			t.Fatalf("a refused heartbeat announced %v", <-sub)
		}
	})
}

// Every writer that queues notifications announces it at commit, so the
// dispatchers (on every hub) wake: a heartbeat that opens an alert, the
// offline check, and a reminder. Writers that queue nothing stay quiet.
func TestQueuedNotificationsAnnounced(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		sub := db.Events.Subscribe(t.Context())
		queued := func() int {
			n := 0
			for len(sub) > 0 {
				if (<-sub).Type == homelabcmd.EventNotificationQueued {
					n++
				}
			}
			return n
		}
		mustChannel(t, db, "all", "medium", true)
		mustIngest(t, db, heartbeat("nas", clk.now))
		if n := queued(); n != 0 {
			t.Fatalf("a quiet heartbeat announced %d queued notifications", n)
		}
		clk.advance(181 * time.Second)
		if n, err := db.CheckOffline(ctx); err != nil || n != 1 {
			t.Fatalf("offline = %d, %v", n, err)
		}
		if n := queued(); n != 1 {
			t.Fatalf("offline check: %d announcements, want 1", n)
		}
		clk.advance(4 * time.Hour)
		if n, err := db.SendReminders(ctx); err != nil || n != 1 {
			t.Fatalf("reminders = %d, %v", n, err)
		}
		if n := queued(); n != 1 {
			t.Fatalf("reminder: %d announcements, want 1", n)
		}
		mustIngest(t, db, heartbeat("nas", clk.now)) // resolves the offline alert
		if n := queued(); n != 1 {
			t.Fatalf("resolving heartbeat: %d announcements, want 1", n)
		}
	})
}
