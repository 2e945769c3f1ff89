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
}

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[chan Event]struct{}{}} }

// Deliver gives e to every local subscriber that has room in its buffer.
func (b *Broker) Deliver(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default: // a stalled subscriber must not block ingest
		}
	}
}

// Subscribe returns a channel of events that is closed when ctx ends.
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
