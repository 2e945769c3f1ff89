// Package dispatch delivers queued notifications from the outbox: it claims
// due rows, sends each through its channel's notifier, and records success,
// a retry with backoff, or failure. Several hubs may run it on one
// PostgreSQL; claims keep each row with one of them at a time.
package dispatch

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// Store is the outbox the dispatcher works on (sqlstore.DB).
type Store interface {
	HasDueNotifications(ctx context.Context) (bool, error)
	ClaimNotifications(ctx context.Context, owner string, lease time.Duration, limit int) ([]notify.Delivery, error)
	CompleteNotification(ctx context.Context, id int64, owner string) error
	FailNotification(ctx context.Context, id int64, owner, errText string, retryAt *time.Time) error
}

// Dispatcher delivers outbox rows.
type Dispatcher struct {
	Store  Store
	Owner  string // unique per hub process
	Client *http.Client
	Logger *slog.Logger
	// Poll is how often it looks for due rows (default 100 ms); the check
	// is one indexed read.
	Poll time.Duration
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
	// Wake, when set, makes Run look at the outbox at once instead of at
	// the next poll (the hub signals it when a heartbeat queued
	// notifications), so delivery does not wait up to Poll.
	Wake <-chan struct{}
}

// DefaultBackoff retries after 5 s, 15 s, 45 s, 2 min, 5 min, 15 min.
var DefaultBackoff = []time.Duration{5 * time.Second, 15 * time.Second, 45 * time.Second, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute}

func (d *Dispatcher) defaults() {
	if d.Poll <= 0 {
		d.Poll = 100 * time.Millisecond
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
	if d.Client == nil {
		d.Client = notify.NewClient()
	}
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d.defaults()
	t := time.NewTicker(d.Poll)
	defer t.Stop()
	for {
		for {
			n, err := d.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.Logger.Error("notification dispatch", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.Wake:
		}
	}
}

// RunOnce claims one batch of due rows and delivers them concurrently,
// returning how many it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	d.defaults()
	due, err := d.Store.HasDueNotifications(ctx)
	if err != nil || !due {
		return 0, err
	}
	batch, err := d.Store.ClaimNotifications(ctx, d.Owner, d.Lease, 32)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for i := range batch {
		wg.Add(1)
		go func(del *notify.Delivery) {
			defer wg.Done()
			d.deliver(ctx, del)
		}(&batch[i])
	}
	wg.Wait()
	return len(batch), nil
}

func (d *Dispatcher) deliver(ctx context.Context, del *notify.Delivery) {
	log := d.Logger.With("outbox_id", del.ID, "channel", del.Channel.Name, "type", del.Channel.Type, "event", del.Message.Event, "attempt", del.Attempts)
	n, err := registry.Build(del.Channel.Type, del.Channel.Config, d.Client, d.Logger)
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, d.Timeout)
		err = n.Notify(sendCtx, &del.Message)
		cancel()
	}
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
