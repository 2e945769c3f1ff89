// Package pgnotify carries live events between hubs that share one
// PostgreSQL database through LISTEN/NOTIFY, so a dashboard, an agent's
// command long-poll or a notification dispatcher hears what happened
// whichever hub committed it. The store sends them with pg_notify inside
// the transaction that made the change (Payloads); Listen delivers them.
package pgnotify

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/backoff"
	"github.com/homelabcmd/homelabcmd/live"
)

// Channel names the NOTIFY channel: one per schema, since NOTIFY is
// database-wide and hubs on different schemas are different deployments.
func Channel(dsn string) string {
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

// envelope carries the events one transaction announced, tagged with the
// hub that committed it, so a hub skips its own notifications (it already
// delivered them locally).
type envelope struct {
	Origin string             `json:"o"`
	Events []homelabcmd.Event `json:"e"`
}

// maxPayload keeps a NOTIFY payload under PostgreSQL's 8000-byte limit.
const maxPayload = 7900

// Payloads encodes events for pg_notify on Channel(dsn), several to a
// payload. An event too large for a payload is left out: every event is
// also in the database, and live views catch up on their next read.
func Payloads(origin string, events []homelabcmd.Event) []string {
	var out []string
	var batch []homelabcmd.Event
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if b, err := json.Marshal(envelope{Origin: origin, Events: batch}); err == nil && len(b) <= maxPayload {
			out = append(out, string(b))
		} else if len(batch) > 1 { // too big together: halve
			half := batch[len(batch)/2:]
			batch = batch[:len(batch)/2]
			out = append(out, Payloads(origin, batch)...)
			out = append(out, Payloads(origin, half)...)
		}
		batch = nil
	}
	size := 0
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			continue
		}
		if size+len(b) > maxPayload-64 {
			flush()
			size = 0
		}
		batch = append(batch, e)
		size += len(b) + 1
	}
	flush()
	return out
}

// Listener delivers the other hubs' events to this hub's broker.
type Listener struct {
	dsn    string
	origin string
	broker *live.Broker
	logger *slog.Logger
	ch     string
}

// Listen connects, listens and delivers until ctx ends. origin is this
// hub's (sqlstore.DB.Origin). Connection losses are retried with backoff.
func Listen(ctx context.Context, dsn, origin string, broker *live.Broker, logger *slog.Logger) *Listener {
	l := &Listener{dsn: dsn, origin: origin, broker: broker, logger: logger, ch: Channel(dsn)}
	go l.listen(ctx)
	return l
}

func (l *Listener) listen(ctx context.Context) {
	b := backoff.Backoff{Min: time.Second, Max: 30 * time.Second}
	for ctx.Err() == nil {
		err := l.listenOnce(ctx, &b)
		if ctx.Err() != nil {
			return
		}
		wait := b.Next()
		l.logger.Warn("listening for other hubs' events stopped; retrying", "err", err, "in", wait)
		if !backoff.Sleep(ctx, wait) {
			return
		}
	}
}

// listenOnce listens on one connection until it fails; b is reset once
// LISTEN works, so a later drop retries quickly again.
func (l *Listener) listenOnce(ctx context.Context, b *backoff.Backoff) error {
	conn, err := pgx.Connect(ctx, l.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+l.ch); err != nil {
		return err
	}
	b.Reset()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var env envelope
		if json.Unmarshal([]byte(n.Payload), &env) != nil || env.Origin == l.origin {
			continue
		}
		for _, e := range env.Events {
			l.broker.Deliver(e)
		}
	}
}
