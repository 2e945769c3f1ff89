package pgnotify_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/pgnotify"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// Two hubs on one database: an event published on one reaches the other's
// subscribers once, and is not echoed back to its own.
func TestRelayBetweenHubs(t *testing.T) {
	dsn := storetest.NewURL(t, "postgres")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := live.NewBroker(), live.NewBroker()
	pgnotify.Start(ctx, dsn, "hub-a", a, logger)
	pgnotify.Start(ctx, dsn, "hub-b", b, logger)
	subA, subB := a.Subscribe(ctx), b.Subscribe(ctx)

	// LISTEN starts asynchronously: publish until the other hub hears one.
	deadline := time.After(20 * time.Second)
	var got live.Event
	for got.Type == "" {
		a.Publish(live.Event{Type: live.ActionChanged, ServerID: "nas", Data: map[string]any{"action_id": 7}})
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
		a.Publish(live.Event{Type: live.ServerUpdated, ServerID: "nas", Data: i})
	}
	if local, remote := drain(subA), drain(subB); local != 5 || remote != 5 {
		t.Fatalf("hub a delivered %d of 5 locally, hub b received %d of 5", local, remote)
	}
}
