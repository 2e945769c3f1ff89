package main

import (
	"context"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// actionSweepInterval is how often timed-out actions are failed and restart
// verification is settled.
const actionSweepInterval = 15 * time.Second

// retentionInterval is how often rollups are brought up to date and old
// data pruned.
const retentionInterval = 10 * time.Minute

// startJobs runs the hub's clock-driven work until Close. Each job is
// idempotent, so several hubs on one PostgreSQL may all run it.
func (h *Hub) startJobs() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	h.stopJobs = func() { cancel(); wg.Wait() }
	h.startAlertJobs(ctx, &wg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		every(ctx, actionSweepInterval, func() {
			n, err := h.DB.ExpireActions(ctx, h.Config.RestartPolicy())
			if err != nil && ctx.Err() == nil {
				h.Logger.Error("expire actions", "err", err)
			} else if n > 0 {
				h.Logger.Warn("actions timed out: the agent did not carry them out", "count", n)
			}
		})
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		retention := sqlstore.Retention{Raw: h.Config.RetentionRaw, Hourly: h.Config.RetentionHourly, Daily: h.Config.RetentionDaily}
		run := func() {
			// One hub at a time on a shared PostgreSQL; if that hub dies its
			// lock goes with its session and the next run elsewhere takes over.
			_, err := h.DB.RunExclusive(ctx, "retention", func(ctx context.Context) error {
				start := time.Now()
				if err := h.DB.Rollup(ctx); err != nil {
					return err
				}
				n, err := h.DB.Prune(ctx, retention)
				if n > 0 {
					h.Logger.Info("retention: pruned old rows", "rows", n, "took", time.Since(start).Round(time.Millisecond))
				}
				return err
			})
			if err != nil && ctx.Err() == nil {
				h.Logger.Error("retention", "err", err)
			}
		}
		run()
		every(ctx, retentionInterval, run)
	}()
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
