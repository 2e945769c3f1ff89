package main

import (
	"context"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/pgnotify"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// retentionInterval is how often rollups are brought up to date and old
// data pruned.
const retentionInterval = 10 * time.Minute

// alertingConfig is the alert rule defaults from the hub configuration;
// thresholds stored through the API override them.
func alertingConfig(c *config.Hub) alerting.Config {
	cfg := alerting.DefaultConfig()
	cfg.Thresholds.ServerOfflineSeconds = int(c.OfflineTimeout / time.Second)
	cfg.RestartGrace = c.RestartGracePeriod
	return cfg
}

// startJobs runs until Close: the engine's clock jobs and dispatcher, the
// other hubs' events on a shared PostgreSQL, and retention.
func (h *Hub) startJobs() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	h.stopJobs = func() { cancel(); wg.Wait() }
	if h.DB.Engine() == sqlstore.Postgres {
		pgnotify.Listen(ctx, h.DB.PostgresDSN(), h.DB.Origin, h.Events, h.Logger.With("component", "pgnotify"))
	}
	wg.Go(func() { h.Engine.Run(ctx) })
	wg.Go(func() {
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
		t := time.NewTicker(retentionInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				run()
			}
		}
	})
}
