package hub

import (
	"context"
	"time"
)

// Offline detection runs at each server's deadline (its last heartbeat plus
// the offline timeout), not on a sweep: the watcher sleeps until the
// earliest deadline and checks then. A heartbeat only moves deadlines
// later, so the watcher needs waking only while no server is online; it
// re-plans at least every offlinePlanMax to follow a changed timeout.
const (
	offlinePlanMax = 30 * time.Second
	// offlineSlack is added to a deadline: at exactly the timeout a server
	// is still online.
	offlineSlack = 2 * time.Millisecond
	// offlineMinWait keeps a hub that lost the check to another hub from
	// spinning on a deadline already past.
	offlineMinWait = 100 * time.Millisecond
)

// watchOffline runs CheckOffline (through RunExclusive) at each deadline
// until ctx ends. wake signals a committed heartbeat.
func (e *Engine) watchOffline(ctx context.Context, wake <-chan struct{}) {
	for {
		at, idle := e.nextOfflineDeadline(ctx)
		timer := time.NewTimer(max(time.Until(at), offlineMinWait))
		var woken <-chan struct{}
		if idle {
			woken = wake
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-woken:
			timer.Stop()
			continue
		case <-timer.C:
		}
		if idle {
			continue
		}
		_, err := e.store.RunExclusive(ctx, "offline-check", func(ctx context.Context) error {
			n, err := e.CheckOffline(ctx)
			if n > 0 {
				e.logger.Warn("servers went offline", "count", n)
			}
			return err
		})
		if err != nil && ctx.Err() == nil {
			e.logger.Error("offline check failed", "err", err)
		}
	}
}

// nextOfflineDeadline returns when to check next: the earliest server
// deadline, at most offlinePlanMax away; idle is true when no deadline
// falls before that (nothing to check, wake on a heartbeat).
func (e *Engine) nextOfflineDeadline(ctx context.Context) (time.Time, bool) {
	limit := time.Now().Add(offlinePlanMax)
	raw, found, err := e.store.GetConfig(ctx, configKeyThresholds)
	if err != nil {
		return limit, true
	}
	cfg, err := e.alertConfig(raw, found)
	if err != nil {
		return limit, true
	}
	oldest, err := e.store.OldestOnlineSeen(ctx)
	if err != nil || oldest == nil {
		return limit, true
	}
	at := oldest.Add(cfg.OfflineTimeout() + offlineSlack)
	if at.After(limit) {
		return limit, true
	}
	return at, false
}
