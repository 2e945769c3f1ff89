package hub

import (
	"context"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify/dispatch"
)

// Job is work the hub does by the clock.
type Job struct {
	Name  string
	Every time.Duration
	// AtStart runs it once when the engine starts, too.
	AtStart bool
	// Exclusive jobs run on one hub at a time on a shared PostgreSQL
	// (RunExclusive); if that hub dies its lock goes with its session.
	Exclusive bool
	// Service marks a job whose Run lasts until ctx ends (the Home
	// Assistant bridge); Every is then how often a hub that does not run
	// it tries again (to take over an Exclusive one). The pulse does not
	// wait for it to finish.
	Service bool
	// Wake, if set, runs the job at once (a deadline the engine knows of).
	Wake <-chan struct{}
	Run  func(ctx context.Context) error
}

// jobs are the engine's own clock jobs. Offline detection is not one: it
// runs at each server's deadline (watchOffline).
func (e *Engine) jobs() []Job {
	return []Job{
		// Openings held back by a maintenance window go out when it ends.
		{Name: "release-held-alerts", Every: 15 * time.Second, Exclusive: true, Run: func(ctx context.Context) error {
			_, err := e.ReleaseHeld(ctx)
			return err
		}},
		// Short outages resolve once their recovery has held (recovery
		// hold): woken when a hold this hub saw begin ends, and every 15 s
		// for those another hub saw.
		{Name: "settle-recoveries", Every: 15 * time.Second, Exclusive: true, Wake: e.settle, Run: func(ctx context.Context) error {
			_, err := e.SettleRecoveries(ctx)
			return err
		}},
		{Name: "alert-reminders", Every: time.Minute, Exclusive: true, Run: func(ctx context.Context) error {
			_, err := e.SendReminders(ctx)
			return err
		}},
		// Safe on every hub: each timed-out action is failed once.
		{Name: "expire-actions", Every: 15 * time.Second, Run: func(ctx context.Context) error {
			n, err := e.ExpireActions(ctx)
			if n > 0 {
				e.logger.Warn("actions timed out: the agent did not carry them out", "count", n)
			}
			return err
		}},
	}
}

// Run runs the clock jobs (the engine's and extra, e.g. retention) and the
// notification dispatcher until ctx ends, then returns once they stopped.
// The dispatcher runs on every hub: claims keep each notification with one
// of them.
func (e *Engine) Run(ctx context.Context, extra ...Job) {
	var wg sync.WaitGroup
	wake := make(chan struct{}, 1)
	d := &dispatch.Dispatcher{Store: e.store, Owner: e.owner,
		Logger: e.logger.With("component", "notify"), Wake: wake, Guard: e.guard}
	wakeOffline := make(chan struct{}, 1)
	events := e.events.Subscribe(ctx)
	wg.Go(func() {
		// A commit that queued notifications, a heartbeat or a changed
		// maintenance window, here or on another hub.
		for ev := range events {
			ch := wakeOffline
			switch e.observe(ev) {
			case wakeNone:
				continue
			case wakeDispatcher:
				ch = wake
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	})
	wg.Go(func() { e.watchOffline(ctx, wakeOffline) })
	wg.Go(func() { d.Run(ctx) })
	for _, j := range append(e.jobs(), extra...) {
		if !j.Service {
			e.health.register(j)
		}
		wg.Go(func() { e.runJob(ctx, j) })
	}
	wg.Wait()
}

// What an event wakes.
const (
	wakeNone = iota
	wakeDispatcher
	wakeOfflineWatch
)

// observe acts on an event committed here or on another hub: a changed
// maintenance window drops the windows kept in memory; it returns which
// worker the event wakes.
func (e *Engine) observe(ev homelabcmd.Event) int {
	switch ev.Type {
	case homelabcmd.EventNotificationQueued:
		return wakeDispatcher
	case homelabcmd.EventServerUpdated:
		return wakeOfflineWatch
	case homelabcmd.EventMaintenanceChanged:
		e.MaintenanceChanged()
	}
	return wakeNone
}

func (e *Engine) runJob(ctx context.Context, j Job) {
	run := func() {
		var err error
		if j.Exclusive {
			_, err = e.store.RunExclusive(ctx, j.Name, j.Run)
		} else {
			err = j.Run(ctx)
		}
		if err != nil && ctx.Err() == nil {
			e.logger.Error("clock job failed", "job", j.Name, "err", err)
		} else if err == nil {
			e.health.ok(j.Name)
		}
	}
	if j.AtStart {
		run()
	}
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			run()
		case <-j.Wake:
			run()
		}
	}
}
