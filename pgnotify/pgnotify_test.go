package pgnotify_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/pgnotify"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// Two hubs on one database: an event committed on one reaches the other's
// subscribers once, and is not echoed back to its own.
func TestRelayBetweenHubs(t *testing.T) {
	dsn := storetest.NewURL(t, "postgres")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := live.NewBroker(), live.NewBroker()
	dbA := openStore(t, dsn, "hub-a", a)
	pgnotify.Listen(ctx, dsn, "hub-a", a, logger)
	pgnotify.Listen(ctx, dsn, "hub-b", b, logger)
	subA, subB := a.Subscribe(ctx), b.Subscribe(ctx)
	publish := func(e live.Event) {
		t.Helper()
		if err := dbA.InTx(ctx, func(tx homelabcmd.Tx) error { tx.Announce(e); return nil }); err != nil {
			t.Fatal(err)
		}
	}

	// LISTEN starts asynchronously: publish until the other hub hears one.
	deadline := time.After(20 * time.Second)
	var got live.Event
	for got.Type == "" {
		publish(live.Event{Type: live.ActionChanged, ServerID: "nas", Data: map[string]any{"action_id": 7}})
		select {
		case got = <-subB:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("hub b never received hub a's event")
		}
	}
	if got.ServerID != "nas" || got.Type != live.ActionChanged {
		t.Fatalf("received %+v", got)
	}
	// Now both listen: 5 more events reach hub b exactly once each, and hub
	// a's own subscribers see each once (no echo from the database).
	drain := func(ch <-chan live.Event) int {
		n := 0
		for {
			select {
			case <-ch:
				n++
			case <-time.After(500 * time.Millisecond):
				return n
			}
		}
	}
	drain(subA)
	drain(subB)
	for i := range 5 {
		publish(live.Event{Type: live.ServerUpdated, ServerID: "nas", Data: i})
	}
	if local, remote := drain(subA), drain(subB); local != 5 || remote != 5 {
		t.Fatalf("hub a delivered %d of 5 locally, hub b received %d of 5", local, remote)
	}
}

// openStore opens the store of one hub, delivering its commits' events to b.
func openStore(t *testing.T, dsn, origin string, b *live.Broker) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Origin, db.Events = origin, b
	return db
}

// Many events in one transaction travel in as few payloads as fit, each
// under PostgreSQL's limit, and none is lost.
func TestPayloadsSplit(t *testing.T) {
	var events []homelabcmd.Event
	for i := range 500 {
		events = append(events, homelabcmd.Event{Type: live.ServerUpdated, ServerID: strings.Repeat("x", 40), Data: i})
	}
	payloads := pgnotify.Payloads("hub-a", events)
	if len(payloads) < 2 || len(payloads) > 10 {
		t.Fatalf("%d payloads for 500 events", len(payloads))
	}
	n := 0
	for _, p := range payloads {
		if len(p) > 7900 {
			t.Fatalf("payload of %d bytes", len(p))
		}
		n += strings.Count(p, `"type"`)
	}
	if n != 500 {
		t.Fatalf("%d of 500 events in the payloads", n)
	}
}
