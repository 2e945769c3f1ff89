package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/homelabcmd/homelabcmd"
)

func ptr[T any](v T) *T { return &v }

// The tests of the spec's Phase 4 (PL0021), on every engine.
func TestExpectedServices(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "omv-mediaserver")

		t.Run("create with all fields", func(t *testing.T) {
			s := &homelabcmd.ExpectedService{ServerID: "omv-mediaserver", ServiceName: "plex",
				DisplayName: ptr("Plex Media Server"), IsCritical: true, Enabled: true}
			if err := db.CreateExpectedService(ctx, s); err != nil {
				t.Fatal(err)
			}
			got, err := db.FindExpectedService(ctx, "omv-mediaserver", "plex")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID == 0 || got.ServiceName != "plex" || *got.DisplayName != "Plex Media Server" || !got.IsCritical || !got.Enabled {
				t.Fatalf("read back %+v", got)
			}
			if time.Since(got.CreatedAt) > time.Minute || got.CurrentStatus != nil {
				t.Fatalf("created_at %v, current status %+v", got.CreatedAt, got.CurrentStatus)
			}
		})

		t.Run("is_critical defaults to false and enabled to true", func(t *testing.T) {
			if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("omv-mediaserver", "sonarr")); err != nil {
				t.Fatal(err)
			}
			got, _ := db.FindExpectedService(ctx, "omv-mediaserver", "sonarr")
			if got.IsCritical || !got.Enabled || got.DisplayName != nil {
				t.Fatalf("defaults: %+v", got)
			}
			// The database's own defaults, for rows written by other tools.
			if _, err := db.write.ExecContext(ctx, `INSERT INTO expected_services (server_id, service_name) VALUES ('omv-mediaserver', 'radarr')`); err != nil {
				t.Fatal(err)
			}
			got, _ = db.FindExpectedService(ctx, "omv-mediaserver", "radarr")
			if got.IsCritical || !got.Enabled || got.CreatedAt.IsZero() {
				t.Fatalf("database defaults: %+v", got)
			}
		})

		t.Run("server and services reach each other", func(t *testing.T) {
			svc, _ := db.FindExpectedService(ctx, "omv-mediaserver", "plex")
			srv, err := db.FindServer(ctx, svc.ServerID)
			if err != nil || srv.Hostname != "omv-mediaserver.lan" {
				t.Fatalf("server of service: %+v, %v", srv, err)
			}
			list, err := db.ListExpectedServices(ctx, srv.ID)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range list {
				names = append(names, s.ServiceName)
			}
			if diff := cmp.Diff([]string{"plex", "sonarr", "radarr"}, names); diff != "" {
				t.Fatalf("services of server (-want +got):\n%s", diff)
			}
		})

		t.Run("duplicate server and name is a conflict", func(t *testing.T) {
			err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("omv-mediaserver", "plex"))
			if !homelabcmd.IsConflict(err) {
				t.Fatalf("want conflict, got %v", err)
			}
			// The same name on another server is fine.
			mustCreateServer(t, db, "pi-hole")
			if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("pi-hole", "plex")); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("foreign key prevents orphans", func(t *testing.T) {
			err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("no-such-server", "plex"))
			if !homelabcmd.IsNotFound(err) {
				t.Fatalf("expected service for unknown server: want not found, got %v", err)
			}
			err = db.AddServiceStatus(ctx, &homelabcmd.ServiceStatus{ServerID: "no-such-server", ServiceName: "plex",
				Status: homelabcmd.StatusRunning, Timestamp: time.Now()})
			if !homelabcmd.IsNotFound(err) {
				t.Fatalf("status for unknown server: want not found, got %v", err)
			}
			// Even raw SQL cannot create an orphan: the engine enforces the key.
			if _, err := db.write.ExecContext(ctx, `INSERT INTO expected_services (server_id, service_name) VALUES ('ghost', 'x')`); !isForeignKeyViolation(err) {
				t.Fatalf("raw orphan insert: want foreign key violation, got %v", err)
			}
		})

		t.Run("update changes only given fields", func(t *testing.T) {
			got, err := db.UpdateExpectedService(ctx, "omv-mediaserver", "plex", homelabcmd.ExpectedServiceUpdate{Enabled: ptr(false)})
			if err != nil {
				t.Fatal(err)
			}
			if got.Enabled || !got.IsCritical || *got.DisplayName != "Plex Media Server" {
				t.Fatalf("after update: %+v", got)
			}
			if _, err := db.UpdateExpectedService(ctx, "omv-mediaserver", "nope", homelabcmd.ExpectedServiceUpdate{}); !homelabcmd.IsNotFound(err) {
				t.Fatalf("update unknown: %v", err)
			}
		})

		t.Run("invalid names are rejected", func(t *testing.T) {
			for _, name := range []string{"", "bad name", "rm -rf /;", "a/b", ".service"} {
				if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("omv-mediaserver", name)); !homelabcmd.IsInvalid(err) {
					t.Errorf("%q: want invalid, got %v", name, err)
				}
			}
		})
	})
}

func TestServiceStatus(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "nas")
		ts := time.Date(2026, 1, 18, 10, 30, 0, 123456000, time.UTC)

		t.Run("create with all fields and every status value", func(t *testing.T) {
			for i, st := range []homelabcmd.ServiceStatusValue{homelabcmd.StatusRunning, homelabcmd.StatusStopped, homelabcmd.StatusFailed, homelabcmd.StatusUnknown} {
				in := &homelabcmd.ServiceStatus{ServerID: "nas", ServiceName: "svc-" + string(st), Status: st,
					StatusReason: ptr("because"), PID: ptr(1234 + i), MemoryMB: ptr(512.25), CPUPercent: ptr(250.5), Timestamp: ts}
				if err := db.AddServiceStatus(ctx, in); err != nil {
					t.Fatal(err)
				}
				got, _, err := db.ServiceHistory(ctx, "nas", in.ServiceName, homelabcmd.HistoryFilter{})
				if err != nil || len(got) != 1 {
					t.Fatalf("history: %v %v", got, err)
				}
				if diff := cmp.Diff(*in, got[0]); diff != "" {
					t.Fatalf("read back (-want +got):\n%s", diff)
				}
			}
		})

		t.Run("pid, memory and cpu are nullable", func(t *testing.T) {
			in := &homelabcmd.ServiceStatus{ServerID: "nas", ServiceName: "sonarr", Status: homelabcmd.StatusStopped, Timestamp: ts}
			if err := db.AddServiceStatus(ctx, in); err != nil {
				t.Fatal(err)
			}
			got, _, _ := db.ServiceHistory(ctx, "nas", "sonarr", homelabcmd.HistoryFilter{})
			if got[0].PID != nil || got[0].MemoryMB != nil || got[0].CPUPercent != nil {
				t.Fatalf("want nulls, got %+v", got[0])
			}
		})

		t.Run("invalid status is rejected", func(t *testing.T) {
			err := db.AddServiceStatus(ctx, &homelabcmd.ServiceStatus{ServerID: "nas", ServiceName: "x", Status: "sleeping", Timestamp: ts})
			if !homelabcmd.IsInvalid(err) {
				t.Fatalf("want invalid, got %v", err)
			}
		})

		t.Run("history pages newest first with a cursor and a time window", func(t *testing.T) {
			for i := range 25 {
				if err := db.AddServiceStatus(ctx, &homelabcmd.ServiceStatus{ServerID: "nas", ServiceName: "plex",
					Status: homelabcmd.StatusRunning, PID: ptr(i), Timestamp: ts.Add(time.Duration(i) * time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			var pids []int
			var cursor int64
			for page := 0; ; page++ {
				got, next, err := db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{Limit: 10, Before: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range got {
					pids = append(pids, *s.PID)
				}
				if next == 0 {
					break
				}
				cursor = next
			}
			if len(pids) != 25 || pids[0] != 24 || pids[24] != 0 {
				t.Fatalf("paged pids %v", pids)
			}
			from, to := ts.Add(5*time.Minute), ts.Add(9*time.Minute)
			got, _, _ := db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{From: &from, To: &to})
			if len(got) != 5 || *got[0].PID != 9 || *got[4].PID != 5 {
				t.Fatalf("window: %d rows", len(got))
			}
		})
	})
}

func TestDeleteServerCascades(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		mustCreateServer(t, db, "doomed")
		mustCreateServer(t, db, "kept")
		for _, id := range []string{"doomed", "kept"} {
			if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService(id, "plex")); err != nil {
				t.Fatal(err)
			}
			if err := db.AddServiceStatus(ctx, &homelabcmd.ServiceStatus{ServerID: id, ServiceName: "plex", Status: homelabcmd.StatusRunning, Timestamp: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateAlert(ctx, &homelabcmd.Alert{ServerID: id, AlertType: homelabcmd.AlertOffline, Severity: homelabcmd.SeverityHigh, Title: "Server offline"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteServer(ctx, "doomed"); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"expected_services", "service_status", "alerts"} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE server_id = 'doomed'`); n != 0 {
				t.Errorf("%s: %d rows of the deleted server remain", table, n)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE server_id = 'kept'`); n != 1 {
				t.Errorf("%s: the other server has %d rows, want 1", table, n)
			}
		}
		if err := db.DeleteServer(ctx, "doomed"); !homelabcmd.IsNotFound(err) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
