package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// Migration 00014 rebuilds (SQLite) or alters (PostgreSQL) the unit tables
// with a kind: every existing row is kept as a systemd unit.
func TestUnitKindMigrationKeepsData(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		db := mustOpen(t, dbURL, false)
		m, err := db.Migrator(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.UpTo(ctx, 13); err != nil {
			t.Fatal(err)
		}
		ts := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		for _, q := range []string{
			`INSERT INTO servers (id, hostname, status, machine_type, is_paused, is_inactive, created_at, updated_at) VALUES ('nas', 'nas', 'online', 'server', FALSE, FALSE, $1, $1)`,
			`INSERT INTO expected_services (server_id, service_name, display_name, is_critical, enabled, created_at) VALUES ('nas', 'plex', 'Plex', TRUE, TRUE, $1)`,
			`INSERT INTO service_current_status (server_id, service_name, status, restarts, timestamp, updated_at, sampled_at) VALUES ('nas', 'plex', 'running', 3, $1, $1, $1)`,
			`INSERT INTO service_status (server_id, service_name, status, timestamp) VALUES ('nas', 'plex', 'running', $1)`,
		} {
			if _, err := db.write.ExecContext(ctx, q, ts); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		svc, err := db.FindExpectedService(ctx, "nas", "plex")
		if err != nil || svc.Kind != homelabcmd.KindSystemd || !svc.IsCritical || *svc.DisplayName != "Plex" ||
			svc.CurrentStatus == nil || svc.CurrentStatus.Status != homelabcmd.StatusRunning || *svc.CurrentStatus.Restarts != 3 {
			t.Fatalf("plex after migration: %+v %v", svc, err)
		}
		hist, _, err := db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{})
		if err != nil || len(hist) != 1 {
			t.Fatalf("history after migration: %v %v", hist, err)
		}
		// A container may share the name; a second one may not.
		c := homelabcmd.NewExpectedService("nas", "plex")
		c.Kind = homelabcmd.KindContainer
		if err := db.CreateExpectedService(ctx, c); err != nil {
			t.Fatalf("container plex beside service plex: %v", err)
		}
		c2 := homelabcmd.NewExpectedService("nas", "plex")
		c2.Kind = homelabcmd.KindContainer
		if err := db.CreateExpectedService(ctx, c2); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
			t.Fatalf("second container plex: %v, want ECONFLICT", err)
		}
		if list, _ := db.ListExpectedServices(ctx, "nas"); len(list) != 1 || list[0].Kind != homelabcmd.KindSystemd {
			t.Fatalf("/services lists %+v, want the systemd unit only", list)
		}
	})
}

// Containers in a heartbeat are stored as units of kind container: their
// own current status and history, apart from systemd units of the same
// name, every reported one listed, the expected ones first.
func TestContainerIngest(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *DB) {
		t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		code := 137
		hb := heartbeat("nas", t0, report("plex", homelabcmd.StatusRunning))
		hb.Containers = []homelabcmd.ContainerReport{
			{Name: "plex", ID: "abc", Image: "plexinc/pms", State: "exited", ExitCode: &code, OOMKilled: true},
			{Name: "adhoc", State: "running", Health: "healthy"},
		}
		res, err := db.Ingest(ctx, hb, homelabcmd.IngestMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Changes) != 3 {
			t.Fatalf("changes %+v, want the service and two containers", res.Changes)
		}
		c := homelabcmd.NewExpectedService("nas", "plex")
		c.Kind, c.IsCritical = homelabcmd.KindContainer, true
		if err := db.CreateExpectedService(ctx, c); err != nil {
			t.Fatal(err)
		}
		list, err := db.ListContainers(ctx, "nas")
		if err != nil || len(list) != 2 {
			t.Fatalf("containers %+v %v", list, err)
		}
		plex, adhoc := list[0], list[1]
		if !plex.Expected || !plex.IsCritical || plex.CurrentStatus == nil || plex.CurrentStatus.Status != homelabcmd.StatusFailed ||
			*plex.CurrentStatus.StatusReason != "exited, exit code 137, OOM-killed" || plex.CurrentStatus.Container == nil ||
			plex.CurrentStatus.Container.Image != "plexinc/pms" || !plex.CurrentStatus.Container.OOMKilled {
			t.Errorf("plex = %+v %+v", plex, plex.CurrentStatus)
		}
		if adhoc.Expected || adhoc.ContainerName != "adhoc" || adhoc.CurrentStatus.Status != homelabcmd.StatusRunning {
			t.Errorf("adhoc = %+v", adhoc)
		}
		svc, _ := db.FindExpectedService(ctx, "nas", "plex")
		if svc != nil {
			t.Errorf("the container became an expected service: %+v", svc)
		}
		hist, _, err := db.UnitHistory(ctx, "nas", homelabcmd.KindContainer, "plex", homelabcmd.HistoryFilter{})
		if err != nil || len(hist) != 1 || hist[0].Status != homelabcmd.StatusFailed {
			t.Fatalf("container history %+v %v", hist, err)
		}
		if hist, _, _ := db.ServiceHistory(ctx, "nas", "plex", homelabcmd.HistoryFilter{}); len(hist) != 1 || hist[0].Status != homelabcmd.StatusRunning {
			t.Fatalf("service history %+v", hist)
		}
		// No containers in a heartbeat (an old agent, or no engine) leaves
		// their status as it was.
		if _, err := db.Ingest(ctx, heartbeat("nas", t0.Add(time.Minute), report("plex", homelabcmd.StatusRunning)), homelabcmd.IngestMeta{}); err != nil {
			t.Fatal(err)
		}
		if list, _ := db.ListContainers(ctx, "nas"); len(list) != 2 || list[0].CurrentStatus.Status != homelabcmd.StatusFailed {
			t.Fatalf("after a heartbeat without containers: %+v", list)
		}
	})
}
