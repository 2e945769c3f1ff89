package hub_test

import (
	"context"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// fixture is an engine over a real, freshly migrated store; the tests call
// the engine's use cases and read the store back through one value.
type fixture struct {
	*sqlstore.DB
	*hub.Engine
	Events *live.Broker
}

// forEachDB runs fn against an engine over a fresh database on every engine.
func forEachDB(t *testing.T, fn func(t *testing.T, db *fixture)) {
	t.Helper()
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		db, err := sqlstore.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatalf("open %s: %v", dbURL, err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(context.Background(), nil); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		events := live.NewBroker()
		db.Events = events
		fn(t, &fixture{DB: db, Engine: hub.New(db, events, hub.Options{NotifyGuard: notify.NewGuard(true)}), Events: events})
	})
}

func mustCreateServer(tb testing.TB, db *fixture, id string) *homelabcmd.Server {
	tb.Helper()
	s := &homelabcmd.Server{ID: id, Hostname: id + ".lan"}
	if err := db.CreateServer(context.Background(), s); err != nil {
		tb.Fatalf("create server %s: %v", id, err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// heartbeat and report build test reports (see storetest).
var (
	heartbeat = storetest.Heartbeat
	report    = storetest.Report
)

// HasDueNotifications reports whether any outbox row is due now.
func (f *fixture) HasDueNotifications(ctx context.Context) (bool, error) {
	next, err := f.NextNotificationDue(ctx)
	return err == nil && next != nil && !next.After(f.DB.Now()), err
}
