package sqlstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// seedEverything puts a row in every kind of table.
func seedEverything(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := range 3 {
		if _, err := db.Ingest(ctx, heartbeat("nas", t0.Add(time.Duration(i)*time.Minute), report("plex", homelabcmd.StatusRunning)), homelabcmd.IngestMeta{}); err != nil {
			t.Fatal(err)
		}
	}
	svc := homelabcmd.NewExpectedService("nas", "plex")
	svc.IsCritical = true
	if err := db.CreateExpectedService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAlert(ctx, &homelabcmd.Alert{ServerID: "nas", AlertType: homelabcmd.AlertService, Severity: homelabcmd.SeverityHigh,
		Title: "Service plex is stopped", ServiceName: ptr("plex")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.IssueAgentToken(ctx, "nas", homelabcmd.NewGUID()); err != nil {
		t.Fatal(err)
	}
	if _, err := engine(db).CreateRestart(ctx, "nas", "plex", "dashboard"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.InitAPIKey(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCopyBetweenEngines(t *testing.T) {
	ctx := context.Background()
	sqliteURL := storetest.NewURL(t, "sqlite")
	pgURL := storetest.NewURL(t, "postgres")
	src := mustOpen(t, sqliteURL, true)
	seedEverything(t, src)

	pg := mustOpen(t, pgURL, false)
	var out bytes.Buffer
	if err := Copy(ctx, src, pg, &out); err != nil {
		t.Fatalf("SQLite → PostgreSQL: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "copied servers") {
		t.Fatalf("no progress: %s", out.String())
	}
	back := mustOpen(t, storetest.NewURL(t, "sqlite"), false)
	if err := Copy(ctx, pg, back, &out); err != nil {
		t.Fatalf("PostgreSQL → SQLite: %v", err)
	}
	tables, _ := src.tableNames(ctx)
	for _, db := range []*DB{pg, back} {
		for _, table := range tables {
			if a, b := countRows(t, src, `SELECT COUNT(*) FROM `+table), countRows(t, db, `SELECT COUNT(*) FROM `+table); a != b {
				t.Errorf("%s %s: %d rows, source has %d", db.Engine(), table, b, a)
			}
		}
		svc, err := db.FindExpectedService(ctx, "nas", "plex")
		if err != nil || !svc.IsCritical || svc.CurrentStatus == nil || svc.CurrentStatus.Status != homelabcmd.StatusRunning {
			t.Fatalf("%s: service after copy %+v %v", db.Engine(), svc, err)
		}
		// New rows get fresh ids after the copied ones.
		if err := db.CreateAlert(ctx, &homelabcmd.Alert{ServerID: "nas", AlertType: homelabcmd.AlertOffline, Severity: homelabcmd.SeverityHigh, Title: "Offline"}); err != nil {
			t.Fatalf("%s: insert after copy: %v", db.Engine(), err)
		}
	}
	// Never into a database that has data.
	if err := Copy(ctx, src, pg, &out); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("copy into a used database: %v", err)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, storetest.NewURL(t, "sqlite"), true)
	seedEverything(t, db)
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	copyDB := mustOpen(t, "sqlite:///"+path, false)
	if n := countRows(t, copyDB, `SELECT COUNT(*) FROM service_status`); n != 3 {
		t.Fatalf("backup has %d status rows", n)
	}
	if v, _ := copyDB.SchemaVersion(ctx); v == 0 {
		t.Fatal("backup has no schema version")
	}
	if err := db.Backup(ctx, path); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
