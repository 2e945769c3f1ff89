package live

import (
	"context"
	"testing"
)

// A keyed subscriber gets its server's events of its type and nothing else;
// a plain one gets all; both are forgotten when their context ends.
func TestSubscribeTo(t *testing.T) {
	b := NewBroker()
	ctx, cancel := context.WithCancel(context.Background())
	all := b.Subscribe(ctx)
	mine := b.SubscribeTo(ctx, ActionChanged, "nas")
	anyServer := b.SubscribeTo(ctx, ActionChanged, "")
	events := []Event{
		{Type: ActionChanged, ServerID: "pi"},
		{Type: ServerUpdated, ServerID: "nas"},
		{Type: ActionChanged, ServerID: "nas"},
	}
	for _, e := range events {
		b.Deliver(e)
	}
	for i, want := range events {
		if got := <-all; got != want {
			t.Errorf("all[%d] = %+v, want %+v", i, got, want)
		}
	}
	if got := <-mine; got != events[2] {
		t.Errorf("keyed got %+v, want %+v", got, events[2])
	}
	select {
	case e := <-mine:
		t.Fatalf("keyed subscriber got another event: %+v", e)
	default:
	}
	for _, want := range []Event{events[0], events[2]} { // every server's, of its type only
		if got := <-anyServer; got != want {
			t.Errorf("any-server subscriber got %+v, want %+v", got, want)
		}
	}
	select {
	case e := <-anyServer:
		t.Fatalf("any-server subscriber got another event: %+v", e)
	default:
	}
	cancel()
	for range all { // closed once the broker forgot it
	}
	for range mine {
	}
	for range anyServer {
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) != 0 || len(b.keyed) != 0 {
		t.Errorf("after cancel: %d subscribers, %d keys", len(b.subs), len(b.keyed))
	}
}
