package main

import (
	"context"
	"sync"
	"time"
)

// actionSweepInterval is how often timed-out actions are failed and restart
// verification is settled.
const actionSweepInterval = 15 * time.Second

// startJobs runs the hub's clock-driven work until Close. Each job is
// idempotent, so several hubs on one PostgreSQL may all run it.
func (h *Hub) startJobs() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	h.stopJobs = func() { cancel(); wg.Wait() }
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
