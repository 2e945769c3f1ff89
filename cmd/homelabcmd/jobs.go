package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/config/option"
	"github.com/homelabcmd/homelabcmd/hass"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
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

// pinnedThresholds are the thresholds the configuration gives explicitly:
// they win over values stored from the dashboard (alerting.Pin).
func pinnedThresholds(c *config.Hub) map[string]alerting.Pin {
	out := map[string]alerting.Pin{}
	if e, ok := c.Explicit("offline_timeout"); ok {
		via := e.Flag
		switch e.Source {
		case option.Env:
			via = e.Env
		case option.File:
			via = "offline_timeout in the config file"
		}
		out["server_offline_seconds"] = alerting.Pin{Option: e.Name, Source: string(e.Source), Via: via, Value: e.Value}
	}
	return out
}

// startJobs runs until Close: the engine's clock jobs and dispatcher with
// retention among them, and the other hubs' events on a shared PostgreSQL.
func (h *Hub) startJobs() error {
	ctx, cancel := context.WithCancel(context.Background())
	extra, err := h.integrationJobs(ctx)
	if err != nil {
		cancel()
		return err
	}
	extra = append(extra, h.dailyCostJob())
	var wg sync.WaitGroup
	h.stopJobs = func() { cancel(); wg.Wait() }
	if h.DB.Engine() == sqlstore.Postgres {
		pgnotify.Listen(ctx, h.DB.PostgresDSN(), h.DB.Origin, h.Events, h.Logger.With("component", "pgnotify"))
	}
	retention := sqlstore.Retention{Raw: h.Config.RetentionRaw, History: h.Config.RetentionHistory, Hourly: h.Config.RetentionHourly, Daily: h.Config.RetentionDaily}
	wg.Go(func() {
		h.Engine.Run(ctx, append(extra, hub.Job{Name: "retention", Every: retentionInterval, AtStart: true, Exclusive: true, Run: func(ctx context.Context) error {
			start := time.Now()
			if err := h.DB.Rollup(ctx); err != nil {
				return err
			}
			n, err := h.DB.Prune(ctx, retention)
			if n > 0 {
				h.Logger.Info("retention: pruned old rows", "rows", n, "took", time.Since(start).Round(time.Millisecond))
			}
			return err
		}})...)
	})
	return nil
}

// integrationJobs are the configured pulse and Home Assistant bridge.
func (h *Hub) integrationJobs(ctx context.Context) ([]hub.Job, error) {
	var jobs []hub.Job
	if h.Config.PulseURL != "" {
		jobs = append(jobs, h.Engine.PulseJob(h.Config.PulseURL, h.Config.PulseInterval, nil))
	}
	if h.Config.MQTTURL != "" {
		b, err := hass.New(h.DB, h.Engine, h.Events, hass.Options{URL: h.Config.MQTTURL, Username: h.Config.MQTTUsername,
			Password: h.Config.MQTTPassword, DiscoveryPrefix: h.Config.MQTTDiscoveryPrefix, TopicPrefix: h.Config.MQTTTopicPrefix,
			RestartButtons: h.Config.MQTTRestartButtons, ExternalURL: h.Config.ExternalURL, Logger: h.Logger.With("component", "hass")})
		if err != nil {
			return nil, fmt.Errorf("mqtt_url: %w", err)
		}
		jobs = append(jobs, b.Job(15*time.Second))
	}
	if h.Config.DriftCheckInterval > 0 && h.HTTP.Agentless != nil {
		// Pack checks of the servers with drift detection on (off by default).
		jobs = append(jobs, hub.Job{Name: "drift-check", Every: h.Config.DriftCheckInterval, Exclusive: true, Run: func(ctx context.Context) error {
			h.HTTP.Agentless.CheckDrift(ctx)
			return nil
		}})
	}
	if h.HTTP.Agentless != nil {
		// Approved configuration-pack applies, carried out over SSH: woken
		// by action changes (this hub's, and the others' through pg_notify);
		// the minute is a safety net, not a poll an idle hub pays for.
		q := applyQueue{Engine: h.Engine, db: h.DB}
		jobs = append(jobs, hub.Job{Name: "apply-config-packs", Every: time.Minute, Exclusive: true, Wake: wakeOn(ctx, h.Events, live.ActionChanged), Run: func(ctx context.Context) error {
			_, err := h.HTTP.Agentless.RunApprovedApplies(ctx, q)
			return err
		}})
		// Hosts scanned on a schedule (none unless an operator sets one).
		jobs = append(jobs, hub.Job{Name: "scheduled-scans", Every: time.Minute, Exclusive: true, Run: func(ctx context.Context) error {
			_, err := h.HTTP.Agentless.RunDueScans(ctx, time.Now())
			return err
		}})
	}
	return jobs, nil
}

// applyQueue is the approval queue as agentless.ApplyQueue: the engine
// moves the actions, the store lists them.
type applyQueue struct {
	*hub.Engine
	db *sqlstore.DB
}

func (q applyQueue) ListActions(ctx context.Context, f homelabcmd.ActionFilter) ([]*homelabcmd.Action, int, error) {
	return q.db.ListActions(ctx, f)
}

// wakeOn returns a channel that holds a wake-up whenever an event of type
// typ (any server) is delivered, until ctx ends.
func wakeOn(ctx context.Context, events *live.Broker, typ string) <-chan struct{} {
	wake := make(chan struct{}, 1)
	go func() {
		for range events.SubscribeTo(ctx, typ, "") {
			select {
			case wake <- struct{}{}:
			default: // one pending wake-up is enough
			}
		}
	}()
	return wake
}
