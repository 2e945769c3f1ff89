// Package dispatch delivers queued notifications from the outbox: it claims
// due rows, sends each through its channel's notifier, and records success,
// a retry with backoff, or failure. Several hubs may run it on one
// PostgreSQL; claims keep each row with one of them at a time.
package dispatch

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// Store is the outbox the dispatcher works on (sqlstore.DB).
type Store interface {
	// NextNotificationDue is when the earliest row falls due; nil when
	// none waits.
	NextNotificationDue(ctx context.Context) (*time.Time, error)
	ClaimNotifications(ctx context.Context, owner string, lease time.Duration, limit int) ([]homelabcmd.ClaimedNotification, error)
	CompleteNotification(ctx context.Context, id int64, owner string) error
	FailNotification(ctx context.Context, id int64, owner, errText string, retryAt *time.Time) error
}

// Dispatcher delivers outbox rows.
type Dispatcher struct {
	Store Store
	Owner string // unique per hub process
	// Guard decides which addresses channels may reach (nil: no private
	// ones; see notify.Guard).
	Guard  *notify.Guard
	Logger *slog.Logger
	// SafetyPoll is the longest it sleeps without looking at the outbox
	// (default 30 s). It is a safety net: writers wake it through Wake when
	// they commit outbox rows, and it sleeps until the next retry is due.
	SafetyPoll time.Duration
	// Lease is how long a claim lasts before another hub may take the row
	// (default 60 s); it must exceed Timeout.
	Lease time.Duration
	// Timeout bounds one delivery attempt (default 15 s).
	Timeout time.Duration
	// Backoff lists the waits before each retry; after the last, the row
	// fails for good.
	Backoff []time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Wake makes Run look at the outbox at once: the hub engine signals it
	// when a transaction that queued notifications commits (on this hub or,
	// through PostgreSQL, another).
	Wake <-chan struct{}
}

// DefaultBackoff retries after 5 s, 15 s, 45 s, 2 min, 5 min, 15 min.
var DefaultBackoff = []time.Duration{5 * time.Second, 15 * time.Second, 45 * time.Second, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute}

func (d *Dispatcher) defaults() {
	if d.SafetyPoll <= 0 {
		d.SafetyPoll = 30 * time.Second
	}
	if d.Lease <= 0 {
		d.Lease = time.Minute
	}
	if d.Timeout <= 0 {
		d.Timeout = 15 * time.Second
	}
	if d.Backoff == nil {
		d.Backoff = DefaultBackoff
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run delivers until ctx ends: when woken, when the next row falls due,
// and at least every SafetyPoll.
func (d *Dispatcher) Run(ctx context.Context) {
	d.defaults()
	timer := time.NewTimer(d.SafetyPoll)
	defer timer.Stop()
	for {
		wait := d.SafetyPoll
		for {
			n, next, err := d.runDue(ctx)
			if err != nil {
				if ctx.Err() == nil {
					d.Logger.Error("notification dispatch", "err", err)
				}
				wait = min(wait, time.Second)
				break
			}
			if n == 0 {
				if next != nil {
					// Not before 10 ms: a row due "now" that another hub
					// holds must not make this one spin.
					wait = min(wait, max(next.Sub(d.Now()), 10*time.Millisecond))
				}
				break
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.Wake:
			timer.Stop() // since Go 1.23 no stale tick stays behind
		}
	}
}

// RunOnce claims one batch of due rows and delivers them concurrently,
// returning how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	d.defaults()
	n, _, err := d.runDue(ctx)
	return n, err
}

// runDue delivers one batch if any row is due; with none due it returns
// when the next falls due (nil: nothing waits).
func (d *Dispatcher) runDue(ctx context.Context) (int, *time.Time, error) {
	next, err := d.Store.NextNotificationDue(ctx)
	if err != nil || next == nil || next.After(d.Now()) {
		return 0, next, err
	}
	claimed, err := d.Store.ClaimNotifications(ctx, d.Owner, d.Lease, 32)
	if err != nil {
		return 0, nil, err
	}
	var wg sync.WaitGroup
	for _, c := range claimed {
		del := &notify.Delivery{ID: c.ID, Channel: c.Channel, Attempts: c.Attempts}
		if err := json.Unmarshal(c.Payload, &del.Message); err != nil {
			d.Logger.Error("notification payload unreadable; dropped", "outbox_id", c.ID, "err", err)
			d.record(ctx, del, err)
			continue
		}
		del.Message.ID = strconv.FormatInt(c.ID, 10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.deliver(ctx, del)
		}()
	}
	wg.Wait()
	return len(claimed), nil, nil
}

func (d *Dispatcher) deliver(ctx context.Context, del *notify.Delivery) {
	n, err := registry.Build(del.Channel.Type, del.Channel.Config, d.Guard, d.Logger)
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, d.Timeout)
		err = n.Notify(sendCtx, &del.Message)
		cancel()
	}
	d.record(ctx, del, err)
}

// record stores the outcome of one attempt: sent, a retry, or failed.
func (d *Dispatcher) record(ctx context.Context, del *notify.Delivery, err error) {
	log := d.Logger.With("outbox_id", del.ID, "channel", del.Channel.Name, "type", del.Channel.Type, "event", del.Message.Event, "attempt", del.Attempts)
	// Record the outcome even while shutting down, so a sent row is not
	// sent again by the next claimer.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err == nil {
		if err := d.Store.CompleteNotification(rec, del.ID, d.Owner); err != nil {
			log.Error("record notification sent", "err", err)
		}
		log.Info("notification sent")
		return
	}
	text := notify.Scrub(err.Error(), registry.Secrets(del.Channel.Type, del.Channel.Config)...)
	var retryAt *time.Time
	if (notify.Retryable(err) || ctx.Err() != nil) && del.Attempts <= len(d.Backoff) {
		at := d.Now().Add(d.Backoff[del.Attempts-1])
		if ctx.Err() != nil {
			at = d.Now() // interrupted by shutdown: due at once for the next hub
		}
		retryAt = &at
	}
	if err := d.Store.FailNotification(rec, del.ID, d.Owner, text, retryAt); err != nil {
		log.Error("record notification failure", "err", err)
	}
	if retryAt != nil {
		log.Warn("notification failed; will retry", "err", text, "retry_at", retryAt.UTC())
	} else {
		log.Error("notification failed for good", "err", text)
	}
}
