package sqlstore

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// column is one column as the engine's catalogue describes it.
type column struct {
	Name     string
	Type     string
	NotNull  bool
	Default  string
	Unsigned bool
}

func tableColumns(t *testing.T, db *DB, table string) map[string]column {
	t.Helper()
	ctx := context.Background()
	out := map[string]column{}
	if db.Engine() == SQLite {
		rows, err := db.read.QueryContext(ctx, `SELECT name, type, "notnull", COALESCE(dflt_value, ''), pk FROM pragma_table_info($1)`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var c column
			var pk int
			if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &c.Default, &pk); err != nil {
				t.Fatal(err)
			}
			c.NotNull = c.NotNull || pk > 0
			out[c.Name] = c
		}
		return out
	}
	rows, err := db.read.QueryContext(ctx, `SELECT column_name, data_type, is_nullable = 'NO', COALESCE(column_default, '')
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &c.Default); err != nil {
			t.Fatal(err)
		}
		out[c.Name] = c
	}
	return out
}

func indexNames(t *testing.T, db *DB, table string) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`
	if db.Engine() == Postgres {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname`
	}
	rows, err := db.read.QueryContext(context.Background(), q, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// AC1, AC2, AC4: the spec's tables with its column names, types, nullability
// and defaults, read from the engine's own catalogue.
func TestSpecSchema(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		type want struct {
			name, sqliteType, pgType string
			notNull                  bool
			defaultContains          string
		}
		tables := map[string][]want{
			"expected_services": {
				{"id", "INTEGER", "integer", true, ""},
				{"server_id", "VARCHAR(100)", "character varying", true, ""},
				{"service_name", "VARCHAR(255)", "character varying", true, ""},
				{"display_name", "VARCHAR(255)", "character varying", false, ""},
				{"is_critical", "BOOLEAN", "boolean", true, "0|false"},
				{"enabled", "BOOLEAN", "boolean", true, "1|true"},
				{"created_at", "DATETIME", "timestamp with time zone", true, "CURRENT_TIMESTAMP"},
			},
			"service_status": {
				{"id", "INTEGER", "integer", true, ""},
				{"server_id", "VARCHAR(100)", "character varying", true, ""},
				{"service_name", "VARCHAR(255)", "character varying", true, ""},
				{"status", "VARCHAR(20)", "character varying", true, ""},
				{"pid", "INTEGER", "integer", false, ""},
				{"memory_mb", "FLOAT", "double precision", false, ""},
				{"cpu_percent", "FLOAT", "double precision", false, ""},
				{"timestamp", "DATETIME", "timestamp with time zone", true, ""},
			},
		}
		for table, cols := range tables {
			got := tableColumns(t, db, table)
			for _, w := range cols {
				c, ok := got[w.name]
				if !ok {
					t.Errorf("%s.%s missing", table, w.name)
					continue
				}
				wantType := w.sqliteType
				if db.Engine() == Postgres {
					wantType = w.pgType
				}
				if c.Type != wantType || c.NotNull != w.notNull {
					t.Errorf("%s.%s: type %s not null %v, want %s not null %v", table, w.name, c.Type, c.NotNull, wantType, w.notNull)
				}
				if w.defaultContains != "" && !matchesAny(strings.ToLower(c.Default), strings.ToLower(w.defaultContains)) {
					t.Errorf("%s.%s default %q, want %s", table, w.name, c.Default, w.defaultContains)
				}
			}
		}
	})
}

func matchesAny(s, alternatives string) bool {
	for _, a := range strings.Split(alternatives, "|") {
		if strings.Contains(s, a) {
			return true
		}
	}
	return false
}

// The indices and the unique constraint, from the catalogue, except the
// spec's idx_service_status_server_time (server_id, timestamp): only the
// prune used it, and it was a sixth of a month's growth, so migration 00023
// drops it (docs/performance.md, "Database growth").
func TestSpecIndicesAndConstraint(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		es := indexNames(t, db, "expected_services")
		ss := indexNames(t, db, "service_status")
		for _, w := range []struct {
			list []string
			name string
		}{{es, "idx_expected_services_server"}, {ss, "idx_service_status_service"}} {
			if !contains(w.list, w.name) {
				t.Errorf("index %s missing (have %v / %v)", w.name, es, ss)
			}
		}
		// Columns of each index, in order.
		wantCols := map[string]string{
			"idx_expected_services_server": "server_id",
			"idx_service_status_service":   "server_id,service_name,timestamp",
		}
		if contains(ss, "idx_service_status_server_time") {
			t.Error("idx_service_status_server_time is back: migration 00023 drops it")
		}
		for idx, want := range wantCols {
			if got := indexColumns(t, db, idx); got != want {
				t.Errorf("%s columns %q, want %q", idx, got, want)
			}
		}
		var n int
		// The original's UNIQUE (server_id, service_name) includes the
		// unit's kind since containers (migration 00014).
		q := `SELECT COUNT(*) FROM sqlite_master WHERE name = 'expected_services' AND sql LIKE '%CONSTRAINT uq_server_kind_service_name UNIQUE (server_id, kind, service_name)%'`
		if db.Engine() == Postgres {
			q = `SELECT COUNT(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
				WHERE c.conname = 'uq_server_kind_service_name' AND c.contype = 'u' AND n.nspname = current_schema()
				AND pg_get_constraintdef(c.oid) = 'UNIQUE (server_id, kind, service_name)'`
		}
		if err := db.read.QueryRow(q).Scan(&n); err != nil || n != 1 {
			t.Errorf("unique constraint uq_server_kind_service_name (server_id, kind, service_name): found %d, %v", n, err)
		}
		// Both foreign keys cascade on delete.
		for _, table := range []string{"expected_services", "service_status"} {
			q := `SELECT COUNT(*) FROM pragma_foreign_key_list($1) WHERE "table" = 'servers' AND "from" = 'server_id' AND "to" = 'id' AND on_delete = 'CASCADE'`
			if db.Engine() == Postgres {
				q = `SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass AND confdeltype = 'c'
					AND pg_get_constraintdef(oid) LIKE 'FOREIGN KEY (server_id) REFERENCES servers(id)%'`
			}
			if err := db.read.QueryRow(q, table).Scan(&n); err != nil || n != 1 {
				t.Errorf("%s: cascading foreign key to servers(id): found %d, %v", table, n, err)
			}
		}
	})
}

func indexColumns(t *testing.T, db *DB, index string) string {
	t.Helper()
	q := `SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info($1) ORDER BY seqno)`
	if db.Engine() == Postgres {
		q = `SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE c.relname = $1 AND n.nspname = current_schema()`
	}
	var s string
	if err := db.read.QueryRow(q, index).Scan(&s); err != nil {
		t.Fatalf("columns of %s: %v", index, err)
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Both engines ship the same migration versions.
func TestMigrationVersionsMatch(t *testing.T) {
	names := func(e Engine) []string {
		entries, err := fs.ReadDir(MigrationFS(e), ".")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, en := range entries {
			out = append(out, en.Name())
		}
		return out
	}
	if diff := cmp.Diff(names(SQLite), names(Postgres)); diff != "" {
		t.Fatalf("migration files differ between engines (-sqlite +postgres):\n%s", diff)
	}
}

// versionBeforeServices is the last migration before the spec's tables.
const versionBeforeServices = 2

// AC5: the spec's migration applies cleanly on an existing schema with data,
// and rolls back and forward again.
func TestMigrationAppliesOnExistingSchema(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		db := mustOpen(t, dbURL, false)
		m, err := db.Migrator(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.UpTo(ctx, versionBeforeServices); err != nil {
			t.Fatal(err)
		}
		if tableExists(t, db, "expected_services") {
			t.Fatal("expected_services exists before its migration")
		}
		mustCreateServer(t, db, "old-server")
		if err := db.CreateAlert(ctx, &homelabcmd.Alert{ServerID: "old-server", AlertType: homelabcmd.AlertDisk,
			Severity: homelabcmd.SeverityHigh, Title: "Disk 85% full", ActualValue: ptr(85.0)}); err != nil {
			t.Fatal(err)
		}
		checkOldData := func() {
			t.Helper()
			// Raw SQL: FindServer reads columns later versions add.
			var host string
			err := db.read.QueryRowContext(ctx, `SELECT hostname FROM servers WHERE id = 'old-server'`).Scan(&host)
			if err != nil || host != "old-server.lan" {
				t.Fatalf("server after migration: %q %v", host, err)
			}
			var title string
			var value float64
			err = db.read.QueryRowContext(ctx, `SELECT title, actual_value FROM alerts WHERE server_id = 'old-server'`).Scan(&title, &value)
			if err != nil || title != "Disk 85% full" || value != 85 {
				t.Fatalf("alerts after migration: %q %v %v", title, value, err)
			}
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("migrate to head on existing data: %v", err)
		}
		checkOldData()
		if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("old-server", "plex")); err != nil {
			t.Fatal(err)
		}
		if _, err := m.DownTo(ctx, versionBeforeServices); err != nil {
			t.Fatalf("down: %v", err)
		}
		if tableExists(t, db, "expected_services") || tableExists(t, db, "service_status") {
			t.Fatal("service tables remain after down")
		}
		checkOldData()
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		checkOldData()
		cur, target, err := m.Versions(ctx)
		if err != nil || cur != target {
			t.Fatalf("versions %d/%d %v", cur, target, err)
		}
	})
}

func tableExists(t *testing.T, db *DB, table string) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.Engine() == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	return countRows(t, db, q, table) == 1
}

// Two hubs migrating one PostgreSQL database at once both succeed: the
// advisory lock serialises them.
func TestConcurrentMigrators(t *testing.T) {
	dbURL := storetest.NewURL(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n = 3
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, dbURL)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = db.Migrate(ctx, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	db := mustOpen(t, dbURL, false)
	if v, err := db.SchemaVersion(ctx); err != nil || v < 4 {
		t.Fatalf("schema version %d, %v", v, err)
	}
}
