package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// figured is a running report with its own pid, memory, cpu and restarts.
func figured(name string, n int) homelabcmd.ServiceReport {
	r := report(name, homelabcmd.StatusRunning)
	r.PID, r.MemoryMB, r.CPUPercent, r.Restarts = ptr(1000+n), ptr(float64(100+n)), ptr(float64(n)), ptr(n)
	return r
}

// wantCurrent checks what the API would show of a unit's current status.
func wantCurrent(t *testing.T, db *DB, name string, st homelabcmd.ServiceStatusValue, n int, seen time.Time) {
	t.Helper()
	svc, err := db.FindExpectedService(context.Background(), "wp", name)
	if err != nil {
		t.Fatal(err)
	}
	c := svc.CurrentStatus
	if c == nil || c.Status != st || !c.LastSeen.Equal(seen) {
		t.Fatalf("%s: current %+v, want %s last seen %v", name, c, st, seen)
	}
	if st == homelabcmd.StatusRunning && (c.PID == nil || *c.PID != 1000+n || *c.MemoryMB != float64(100+n) || *c.CPUPercent != float64(n) || *c.Restarts != n) {
		t.Fatalf("%s: figures pid %v memory %v cpu %v restarts %v, want those of report %d", name, c.PID, c.MemoryMB, c.CPUPercent, c.Restarts, n)
	}
}

// The write path writes a unit's row only when its state changes, keeps the
// figures of the latest report, and never moves backwards on a late or
// replayed report, on both engines and with two hubs on one database.
func TestIngestWritesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		db := mustOpen(t, dbURL, true)
		db.HistorySampleEvery = 10 * time.Minute
		other := mustOpen(t, dbURL, false) // a second hub on the same database
		other.HistorySampleEvery = 10 * time.Minute
		t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
		ingest := func(db *DB, at time.Time, units ...homelabcmd.ServiceReport) *homelabcmd.IngestResult {
			t.Helper()
			res, err := db.Ingest(ctx, heartbeat("wp", at, units...), homelabcmd.IngestMeta{})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		rowWrittenAt := func(name string) time.Time {
			t.Helper()
			var at time.Time
			if err := db.read.QueryRowContext(ctx, `SELECT updated_at FROM service_current_status WHERE server_id = 'wp' AND service_name = $1`, name).Scan(&at); err != nil {
				t.Fatal(err)
			}
			return at.UTC()
		}

		db.Now = func() time.Time { return t0 }
		ingest(db, t0, figured("plex", 1), figured("sonarr", 1))
		for _, name := range []string{"plex", "sonarr"} {
			if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("wp", name)); err != nil {
				t.Fatal(err)
			}
		}
		wantCurrent(t, db, "plex", homelabcmd.StatusRunning, 1, t0)

		t.Run("unchanged state: figures move, the row is not written", func(t *testing.T) {
			db.Now = func() time.Time { return t0.Add(time.Minute) }
			if res := ingest(db, t0.Add(time.Minute), figured("plex", 2), figured("sonarr", 2)); len(res.Changes) != 0 {
				t.Fatalf("changes %+v", res.Changes)
			}
			wantCurrent(t, db, "plex", homelabcmd.StatusRunning, 2, t0.Add(time.Minute))
			if at := rowWrittenAt("plex"); !at.Equal(t0) {
				t.Fatalf("plex's row was written at %v without a state change", at)
			}
			fleet, err := db.FleetServiceStates(ctx)
			if err != nil || len(fleet) != 2 || fleet[0].Restarts == nil || *fleet[0].Restarts != 2 {
				t.Fatalf("fleet states %+v %v", fleet, err)
			}
		})

		t.Run("a replayed heartbeat changes nothing", func(t *testing.T) {
			// Even with every report kept, the replay adds no history row.
			db.HistorySampleEvery = 0
			defer func() { db.HistorySampleEvery = 10 * time.Minute }()
			history := `SELECT COUNT(*) FROM service_status WHERE server_id = 'wp' AND service_name = 'plex'`
			before := countRows(t, db, history)
			if res := ingest(db, t0.Add(time.Minute), figured("plex", 2), figured("sonarr", 2)); len(res.Changes) != 0 {
				t.Fatalf("changes %+v", res.Changes)
			}
			wantCurrent(t, db, "plex", homelabcmd.StatusRunning, 2, t0.Add(time.Minute))
			if after := countRows(t, db, history); after != before {
				t.Fatalf("the replay added %d history rows", after-before)
			}
		})

		t.Run("a late heartbeat moves neither status nor figures", func(t *testing.T) {
			late := report("plex", homelabcmd.StatusStopped)
			if res := ingest(db, t0.Add(30*time.Second), late, figured("sonarr", 9)); len(res.Changes) != 0 {
				t.Fatalf("changes %+v", res.Changes)
			}
			wantCurrent(t, db, "plex", homelabcmd.StatusRunning, 2, t0.Add(time.Minute))
			wantCurrent(t, db, "sonarr", homelabcmd.StatusRunning, 2, t0.Add(time.Minute))
			if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE server_id = 'wp' AND service_name = 'plex' AND status = 'stopped'`); n != 1 {
				t.Fatalf("the late report is not in history (%d rows)", n)
			}
		})

		t.Run("a unit no longer reported keeps its last report", func(t *testing.T) {
			ingest(db, t0.Add(2*time.Minute), figured("plex", 3))
			wantCurrent(t, db, "plex", homelabcmd.StatusRunning, 3, t0.Add(2*time.Minute))
			wantCurrent(t, db, "sonarr", homelabcmd.StatusRunning, 2, t0.Add(time.Minute))
		})

		t.Run("a unit named again, unchanged, is late-checked against the figures", func(t *testing.T) {
			ingest(db, t0.Add(150*time.Second), figured("plex", 4), figured("sonarr", 4))
			wantCurrent(t, db, "sonarr", homelabcmd.StatusRunning, 4, t0.Add(150*time.Second))
			// Older than the figures, newer than sonarr's row: still late.
			if res := ingest(db, t0.Add(140*time.Second), figured("plex", 4), report("sonarr", homelabcmd.StatusStopped)); len(res.Changes) != 0 {
				t.Fatalf("changes %+v", res.Changes)
			}
			wantCurrent(t, db, "sonarr", homelabcmd.StatusRunning, 4, t0.Add(150*time.Second))
		})

		t.Run("another hub's write is seen", func(t *testing.T) {
			res := ingest(other, t0.Add(3*time.Minute), report("plex", homelabcmd.StatusStopped))
			if len(res.Changes) != 1 {
				t.Fatalf("changes %+v", res.Changes)
			}
			// This hub's cache still says running: it must not be used.
			if res := ingest(db, t0.Add(4*time.Minute), report("plex", homelabcmd.StatusStopped)); len(res.Changes) != 0 {
				t.Fatalf("changes after the other hub's write %+v", res.Changes)
			}
			wantCurrent(t, db, "plex", homelabcmd.StatusStopped, 0, t0.Add(4*time.Minute))
		})

		t.Run("a rolled back heartbeat is forgotten", func(t *testing.T) {
			err := db.InBatchTx(ctx, func(tx homelabcmd.Tx) error {
				if _, err := tx.SaveHeartbeat(ctx, heartbeat("wp", t0.Add(5*time.Minute), figured("plex", 5)), homelabcmd.IngestMeta{}); err != nil {
					return err
				}
				return errors.New("rolled back")
			})
			if err == nil {
				t.Fatal("want the transaction's error")
			}
			if res := ingest(db, t0.Add(6*time.Minute), report("plex", homelabcmd.StatusStopped)); len(res.Changes) != 0 {
				t.Fatalf("changes after a rolled back heartbeat %+v", res.Changes)
			}
			wantCurrent(t, db, "plex", homelabcmd.StatusStopped, 0, t0.Add(6*time.Minute))
		})
	})
}

// Two hubs storing heartbeats of the same servers at once, in any order:
// the current status and figures end as the newest report says, whichever
// hub stored it and whatever arrived late.
func TestIngestTwoHubsConcurrently(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		hubs := []*DB{mustOpen(t, dbURL, true), mustOpen(t, dbURL, false)}
		t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
		const servers, beats = 4, 40
		statusOf := func(n int) homelabcmd.ServiceStatusValue {
			if n%3 == 0 {
				return homelabcmd.StatusStopped
			}
			return homelabcmd.StatusRunning
		}
		for s := range servers {
			id := fmt.Sprintf("two-%d", s)
			if _, err := hubs[0].Ingest(ctx, heartbeat(id, t0, figured("plex", 0)), homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
			if err := hubs[0].CreateExpectedService(ctx, homelabcmd.NewExpectedService(id, "plex")); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*servers*beats)
		for h, db := range hubs {
			for s := range servers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Hub 0 sends the odd reports oldest first, hub 1 the
					// even ones newest first: half of them arrive late.
					for i := range beats / 2 {
						n := 2*i + 1
						if h == 1 {
							n = beats - 2*i
						}
						r := figured("plex", n)
						r.Status = statusOf(n)
						if _, err := db.Ingest(ctx, heartbeat(fmt.Sprintf("two-%d", s), t0.Add(time.Duration(n)*time.Second), r), homelabcmd.IngestMeta{}); err != nil {
							errs <- err
						}
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for s := range servers {
			svc, err := hubs[s%2].FindExpectedService(ctx, fmt.Sprintf("two-%d", s), "plex")
			if err != nil {
				t.Fatal(err)
			}
			c := svc.CurrentStatus
			if c.Status != statusOf(beats) || !c.LastSeen.Equal(t0.Add(beats*time.Second)) || *c.Restarts != beats {
				t.Errorf("two-%d: %s, last seen %v, restarts %d; want the newest report's (%s at %v, %d)",
					s, c.Status, c.LastSeen, *c.Restarts, statusOf(beats), t0.Add(beats*time.Second), beats)
			}
		}
	})
}
