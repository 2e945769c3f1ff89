// Package live fans out hub events (a heartbeat stored, an alert opened, an
// action queued) to subscribers such as dashboards over server-sent events
// and agents waiting for commands. Slow subscribers lose events rather than
// slow down the publisher; every event also lives in the database.
package live

import (
	"context"
	"sync"
)

// Event types.
const (
	ServerUpdated  = "server.updated"  // a heartbeat changed a server, its metrics or services
	ServiceChanged = "service.changed" // a service's current status changed state
	AlertChanged   = "alert.changed"   // an alert opened, escalated, acknowledged or resolved
	ActionChanged  = "action.changed"  // a remediation action was queued or moved state
)

// Event is one notification; Data is event-specific and JSON-encodable.
type Event struct {
	Type     string `json:"type"`
	ServerID string `json:"server_id,omitempty"`
	Data     any    `json:"data,omitempty"`
}

// Broker is an in-process publish/subscribe hub. The zero value is not
// usable; call NewBroker.
type Broker struct {
	mu    sync.Mutex
	subs  map[chan Event]struct{}
	relay Relay
}

// Relay carries events to the other hubs sharing the database (see
// package pgnotify); they hand them back through Deliver.
type Relay interface {
	Send(e Event)
}

// SetRelay makes every Publish also go to the other hubs.
func (b *Broker) SetRelay(r Relay) {
	b.mu.Lock()
	b.relay = r
	b.mu.Unlock()
}

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[chan Event]struct{}{}} }

// Publish delivers e to this hub's subscribers and, through the relay, to
// the other hubs'.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	relay := b.relay
	b.mu.Unlock()
	if relay != nil {
		relay.Send(e)
	}
	b.Deliver(e)
}

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
