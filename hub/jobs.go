package hub

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify/dispatch"
)

// Clock job intervals. offlineCheckEvery: with the 180 s default timeout a
// server is flagged within 195 s of its last heartbeat.
const (
	offlineCheckEvery = 15 * time.Second
	reminderEvery     = time.Minute
	actionSweepEvery  = 15 * time.Second
)

// Run runs the clock jobs and the notification dispatcher until ctx ends,
// then returns once they stopped. The dispatcher runs on every hub (claims
// keep each notification with one of them); offline detection and
// reminders run on one hub at a time on a shared PostgreSQL.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wake := make(chan struct{}, 1)
	host, _ := os.Hostname()
	d := &dispatch.Dispatcher{Store: e.store, Owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), homelabcmd.NewGUID()[:8]),
		Logger: e.logger.With("component", "notify"), Wake: wake}
	events := e.events.Subscribe(ctx)
	wg.Go(func() {
		// A commit that queued notifications, here or on another hub.
		for ev := range events {
			if ev.Type == homelabcmd.EventNotificationQueued {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	})
	wg.Go(func() { d.Run(ctx) })
	wg.Go(func() {
		every(ctx, offlineCheckEvery, func() {
			var n int
			_, err := e.store.RunExclusive(ctx, "offline-check", func(ctx context.Context) (err error) {
				n, err = e.CheckOffline(ctx)
				return err
			})
			if err != nil && ctx.Err() == nil {
				e.logger.Error("offline check", "err", err)
			} else if n > 0 {
				e.logger.Warn("servers went offline", "count", n)
			}
		})
	})
	wg.Go(func() {
		every(ctx, reminderEvery, func() {
			_, err := e.store.RunExclusive(ctx, "alert-reminders", func(ctx context.Context) error {
				_, err := e.SendReminders(ctx)
				return err
			})
			if err != nil && ctx.Err() == nil {
				e.logger.Error("alert reminders", "err", err)
			}
		})
	})
	wg.Go(func() {
		every(ctx, actionSweepEvery, func() {
			n, err := e.ExpireActions(ctx)
			if err != nil && ctx.Err() == nil {
				e.logger.Error("expire actions", "err", err)
			} else if n > 0 {
				e.logger.Warn("actions timed out: the agent did not carry them out", "count", n)
			}
		})
	})
	wg.Wait()
}

// every runs fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
