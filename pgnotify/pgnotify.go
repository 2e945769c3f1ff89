// Package pgnotify relays live events between hubs that share one
// PostgreSQL database through LISTEN/NOTIFY, so a dashboard or an agent's
// command long-poll sees what happened whichever hub it is connected to.
package pgnotify

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/homelabcmd/homelabcmd/live"
)

// channelFor names the NOTIFY channel: one per schema, since NOTIFY is
// database-wide and hubs on different schemas are different deployments.
func channelFor(dsn string) string {
	name := "homelabcmd_events"
	if u, err := url.Parse(dsn); err == nil {
		if sp := u.Query().Get("search_path"); sp != "" {
			name += "_" + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
					return r
				}
				return -1
			}, strings.ToLower(sp))
		}
	}
	return name
}

// envelope tags an event with the hub that published it, so a hub ignores
// its own notifications (it already delivered them locally).
type envelope struct {
	Origin string     `json:"o"`
	Event  live.Event `json:"e"`
}

// Relay sends this hub's events to the others and delivers theirs.
type Relay struct {
	dsn    string
	origin string
	broker *live.Broker
	logger *slog.Logger
	out    chan live.Event
	ch     string
}

// Start connects, listens, and relays until ctx ends. origin must be unique
// per hub process. Connection losses are retried with backoff.
func Start(ctx context.Context, dsn, origin string, broker *live.Broker, logger *slog.Logger) *Relay {
	r := &Relay{dsn: dsn, origin: origin, broker: broker, logger: logger, out: make(chan live.Event, 1024), ch: channelFor(dsn)}
	go r.listen(ctx)
	go r.send(ctx)
	broker.SetRelay(r)
	return r
}

// Send queues e for the other hubs; when the queue is full the event is
// dropped (every event is also in the database; live views catch up on
// their next read).
func (r *Relay) Send(e live.Event) {
	select {
	case r.out <- e:
	default:
	}
}

func (r *Relay) send(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-r.out:
			payload, err := json.Marshal(envelope{Origin: r.origin, Event: e})
			if err != nil || len(payload) > 7900 { // NOTIFY payloads stop at 8000 bytes
				continue
			}
			for attempt := 0; attempt < 3; attempt++ {
				if conn == nil {
					if conn, err = pgx.Connect(ctx, r.dsn); err != nil {
						conn = nil
						time.Sleep(time.Second)
						continue
					}
				}
				if _, err = conn.Exec(ctx, "SELECT pg_notify($1, $2)", r.ch, string(payload)); err == nil {
					break
				}
				conn.Close(context.Background())
				conn = nil
			}
			if err != nil && ctx.Err() == nil {
				r.logger.Warn("relay event to other hubs", "err", err)
			}
		}
	}
}

func (r *Relay) listen(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := r.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		r.logger.Warn("listening for other hubs' events stopped; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (r *Relay) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, r.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+r.ch); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var env envelope
		if json.Unmarshal([]byte(n.Payload), &env) != nil || env.Origin == r.origin {
			continue
		}
		r.broker.Deliver(env.Event)
	}
}
