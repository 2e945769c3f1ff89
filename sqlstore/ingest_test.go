package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// heartbeat and report build test reports (see storetest).
var (
	heartbeat = storetest.Heartbeat
	report    = storetest.Report
)

func TestIngest(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

		t.Run("first heartbeat registers the server", func(t *testing.T) {
			res, err := db.Ingest(ctx, heartbeat("nas", t0, report("plex", homelabcmd.StatusRunning)), homelabcmd.IngestMeta{PeerIP: "10.0.0.5"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.ServerRegistered || res.ServerID != "nas" || len(res.Changes) != 1 {
				t.Fatalf("result %+v", res)
			}
			s, _ := db.FindServer(ctx, "nas")
			if s.Status != homelabcmd.ServerOnline || s.LastSeen == nil || *s.IPAddress != "10.0.0.5" {
				t.Fatalf("server %+v", s)
			}
			res, _ = db.Ingest(ctx, heartbeat("nas", t0.Add(time.Minute), report("plex", homelabcmd.StatusRunning)), homelabcmd.IngestMeta{})
			if res.ServerRegistered || len(res.Changes) != 0 {
				t.Fatalf("second heartbeat %+v", res)
			}
		})

		t.Run("current status follows reports and lists expected services", func(t *testing.T) {
			if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("nas", "plex")); err != nil {
				t.Fatal(err)
			}
			off := homelabcmd.NewExpectedService("nas", "sonarr")
			off.Enabled = false
			db.CreateExpectedService(ctx, off)
			res, err := db.Ingest(ctx, heartbeat("nas", t0.Add(2*time.Minute), report("plex", homelabcmd.StatusStopped)), homelabcmd.IngestMeta{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Changes) != 1 || res.Changes[0].From != homelabcmd.StatusRunning || res.Changes[0].To != homelabcmd.StatusStopped {
				t.Fatalf("changes %+v", res.Changes)
			}
			if len(res.ExpectedServices) != 1 || res.ExpectedServices[0] != "plex" {
				t.Fatalf("expected services %v", res.ExpectedServices)
			}
			svc, _ := db.FindExpectedService(ctx, "nas", "plex")
			if svc.CurrentStatus == nil || svc.CurrentStatus.Status != homelabcmd.StatusStopped || !svc.CurrentStatus.LastSeen.Equal(t0.Add(2*time.Minute)) {
				t.Fatalf("current %+v", svc.CurrentStatus)
			}
		})

		t.Run("a late heartbeat is history only", func(t *testing.T) {
			res, err := db.Ingest(ctx, heartbeat("nas", t0.Add(90*time.Second), report("plex", homelabcmd.StatusRunning)), homelabcmd.IngestMeta{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Changes) != 0 {
				t.Fatalf("late report changed state: %+v", res.Changes)
			}
			svc, _ := db.FindExpectedService(ctx, "nas", "plex")
			if svc.CurrentStatus.Status != homelabcmd.StatusStopped {
				t.Fatalf("current status moved backwards to %s", svc.CurrentStatus.Status)
			}
			hist, _, _ := db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{})
			if len(hist) != 4 || hist[1].Status != homelabcmd.StatusRunning || !hist[1].Timestamp.Equal(t0.Add(90*time.Second)) {
				t.Fatalf("history %+v", hist)
			}
		})

		t.Run("metrics sample stored", func(t *testing.T) {
			if n := countRows(t, db, `SELECT COUNT(*) FROM metrics WHERE server_id = 'nas'`); n != 4 {
				t.Fatalf("%d metrics rows", n)
			}
		})

		t.Run("GUID rules", func(t *testing.T) {
			g1, g2 := homelabcmd.NewGUID(), homelabcmd.NewGUID()
			hb := heartbeat("pi", t0)
			hb.ServerGUID = &g1
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
				t.Fatal(err)
			}
			// The same GUID under a new id is the same server: rows go to "pi".
			hb = heartbeat("pi-renamed", t0.Add(time.Minute), report("pihole-FTL", homelabcmd.StatusRunning))
			hb.ServerGUID = &g1
			res, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{})
			if err != nil || res.ServerID != "pi" || res.ServerRegistered {
				t.Fatalf("matched by GUID: %+v %v", res, err)
			}
			// Another GUID for an id that has one is a conflict; nothing stored.
			hb = heartbeat("pi", t0.Add(2*time.Minute), report("x", homelabcmd.StatusRunning))
			hb.ServerGUID = &g2
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); !homelabcmd.IsConflict(err) {
				t.Fatalf("want conflict, got %v", err)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE service_name = 'x'`); n != 0 {
				t.Fatalf("rejected heartbeat left %d rows", n)
			}
		})

		t.Run("a token reports only for its own server", func(t *testing.T) {
			_, err := db.Ingest(ctx, heartbeat("nas", t0.Add(time.Hour)), homelabcmd.IngestMeta{BoundServerID: "pi"})
			if homelabcmd.ErrorCode(err) != homelabcmd.EFORBIDDEN {
				t.Fatalf("want forbidden, got %v", err)
			}
			_, err = db.Ingest(ctx, heartbeat("brand-new", t0), homelabcmd.IngestMeta{BoundServerID: "pi"})
			if homelabcmd.ErrorCode(err) != homelabcmd.EFORBIDDEN {
				t.Fatalf("token registering another server: want forbidden, got %v", err)
			}
			if _, err := db.FindServer(ctx, "brand-new"); !homelabcmd.IsNotFound(err) {
				t.Fatal("forbidden heartbeat created a server")
			}
		})

		t.Run("invalid heartbeat rejected before storage", func(t *testing.T) {
			hb := heartbeat("nas", t0, homelabcmd.ServiceReport{Name: "plex", Status: "sleeping"})
			if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); !homelabcmd.IsInvalid(err) {
				t.Fatalf("want invalid, got %v", err)
			}
		})

		t.Run("concurrent heartbeats group-commit without loss", func(t *testing.T) {
			const servers, beats = 20, 10
			var wg sync.WaitGroup
			errs := make(chan error, servers*beats)
			for s := range servers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for b := range beats {
						hb := heartbeat(fmt.Sprintf("load-%d", s), t0.Add(time.Duration(b)*time.Second),
							report("a", homelabcmd.StatusRunning), report("b", homelabcmd.StatusStopped))
						if _, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{}); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM service_status WHERE server_id LIKE 'load-%'`); n != servers*beats*2 {
				t.Fatalf("%d history rows, want %d", n, servers*beats*2)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM service_current_status WHERE server_id LIKE 'load-%'`); n != servers*2 {
				t.Fatalf("%d current rows, want %d", n, servers*2)
			}
		})
	})
}
