package sqlstore

import (
	"context"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// forEachDB runs fn against a freshly migrated database on every engine.
func forEachDB(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		fn(t, mustOpen(t, dbURL, true))
	})
}

func mustOpen(tb testing.TB, dbURL string, migrate bool) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dbURL)
	if err != nil {
		tb.Fatalf("open %s: %v", dbURL, err)
	}
	tb.Cleanup(func() { db.Close() })
	if migrate {
		if err := db.Migrate(context.Background(), nil); err != nil {
			tb.Fatalf("migrate: %v", err)
		}
	}
	return db
}

func mustCreateServer(tb testing.TB, db *DB, id string) *homelabcmd.Server {
	tb.Helper()
	s := &homelabcmd.Server{ID: id, Hostname: id + ".lan"}
	if err := db.CreateServer(context.Background(), s); err != nil {
		tb.Fatalf("create server %s: %v", id, err)
	}
	return s
}

func countRows(tb testing.TB, db *DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.read.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// engine is the hub engine over db: these tests put data in the way
// production does (heartbeats, restarts) and read the store back.
func engine(db *DB) *hub.Engine { return hub.New(db, nil, hub.Options{}) }

// Ingest stores a heartbeat through the engine, as the API does.
func (db *DB) Ingest(ctx context.Context, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error) {
	return engine(db).Ingest(ctx, hb, meta)
}
