// Package live fans out hub events (a heartbeat stored, an alert opened, an
// action queued) to subscribers such as dashboards over server-sent events,
// agents waiting for commands and the notification dispatcher. Slow subscribers lose events rather than
// slow down the publisher; every event also lives in the database.
package live

import (
	"context"
	"sync"

	"github.com/homelabcmd/homelabcmd"
)

// Event types (see homelabcmd.Event).
const (
	ServerUpdated      = homelabcmd.EventServerUpdated
	ServiceChanged     = homelabcmd.EventServiceChanged
	AlertChanged       = homelabcmd.EventAlertChanged
	ActionChanged      = homelabcmd.EventActionChanged
	NotificationQueued = homelabcmd.EventNotificationQueued
)

// Event is one change.
type Event = homelabcmd.Event

// Broker is an in-process publish/subscribe hub. The zero value is not
// usable; call NewBroker. The store delivers to it what each transaction
// announced, after the commit; package pgnotify delivers the other hubs'.
type Broker struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
	// keyed holds the subscribers to one type of event of one server
	// (every agent's command long-poll): Deliver finds them by key instead
	// of offering each event to thousands of channels that want one in a
	// million, which with 5,000 agents stalled the commit path.
	keyed map[key]map[chan Event]struct{}
}

type key struct{ typ, serverID string }

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: map[chan Event]struct{}{}, keyed: map[key]map[chan Event]struct{}{}}
}

// Deliver gives e to every local subscriber that wants it and has room in
// its buffer.
func (b *Broker) Deliver(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		offer(ch, e)
	}
	for ch := range b.keyed[key{e.Type, e.ServerID}] {
		offer(ch, e)
	}
	if e.ServerID != "" {
		for ch := range b.keyed[key{e.Type, ""}] {
			offer(ch, e)
		}
	}
}

func offer(ch chan Event, e Event) {
	select {
	case ch <- e:
	default: // a stalled subscriber must not block ingest
	}
}

// Subscribe returns a channel of every event, closed when ctx ends.
func (b *Broker) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}

// SubscribeTo returns a channel of the events of type typ about serverID
// only (every server's when serverID is ""), closed when ctx ends.
func (b *Broker) SubscribeTo(ctx context.Context, typ, serverID string) <-chan Event {
	ch := make(chan Event, 8)
	k := key{typ, serverID}
	b.mu.Lock()
	if b.keyed[k] == nil {
		b.keyed[k] = map[chan Event]struct{}{}
	}
	b.keyed[k][ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		if delete(b.keyed[k], ch); len(b.keyed[k]) == 0 {
			delete(b.keyed, k)
		}
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}
