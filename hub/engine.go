// Package hub is the hub's engine: the use cases behind the API (ingest a
// heartbeat, evaluate the alert rules, open, escalate and resolve alerts,
// queue notifications, move actions through their lifecycle) and the clock
// jobs (offline detection, reminders, action timeouts, the notification
// dispatcher). It decides; the store (a homelabcmd.TxStore) only keeps.
// Every change commits with the events it announces, which reach
// dashboards, agents and dispatchers (also on other hubs) at commit.
package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/dispatch"
)

// Store is what the engine needs of the store (sqlstore.DB).
type Store interface {
	homelabcmd.TxStore
	dispatch.Store
	// GetConfig reads a stored setting outside a transaction.
	GetConfig(ctx context.Context, key string) (string, bool, error)
	// RunExclusive runs fn unless another hub on the database runs the
	// job of that name; it reports whether fn ran.
	RunExclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error)
	// OldestOnlineSeen returns the earliest last heartbeat of the online,
	// active servers; nil when none is online.
	OldestOnlineSeen(ctx context.Context) (*time.Time, error)
}

// Options configure an engine; zero fields take the defaults.
type Options struct {
	// Alerting holds the alert rule defaults; thresholds stored through
	// the API override them.
	Alerting alerting.Config
	// Restart holds the restart guard rails, grace period and timeout.
	Restart homelabcmd.RestartPolicy
	Logger  *slog.Logger
	// NotifyGuard decides which addresses channels may reach (nil: no
	// private, loopback or link-local ones).
	NotifyGuard *notify.Guard
}

// Engine runs the hub's use cases over a store.
type Engine struct {
	store    Store
	events   *live.Broker
	alerting alerting.Config
	restart  homelabcmd.RestartPolicy
	logger   *slog.Logger
	guard    *notify.Guard
	// owner names this hub process (dispatcher claims, the health probe).
	owner  string
	health jobHealth
	// windowCache keeps the maintenance windows every heartbeat reads.
	windowCache windowCache
	// settle wakes the settle-recoveries job when a recovery hold ends.
	settle chan struct{}
}

// New returns an engine over store. events receives what commits
// announce (the store delivers them; the engine subscribes for its
// dispatcher).
func New(store Store, events *live.Broker, o Options) *Engine {
	def := alerting.DefaultConfig()
	if o.Alerting.Thresholds.ServerOfflineSeconds == 0 {
		o.Alerting.Thresholds = def.Thresholds
	}
	if o.Alerting.MissingAfter == 0 {
		o.Alerting.MissingAfter = def.MissingAfter
	}
	if o.Alerting.UnknownAfter == 0 {
		o.Alerting.UnknownAfter = def.UnknownAfter
	}
	if o.Alerting.ClockSkewBound == 0 {
		o.Alerting.ClockSkewBound = def.ClockSkewBound
	}
	if o.Restart == (homelabcmd.RestartPolicy{}) {
		o.Restart = homelabcmd.DefaultRestartPolicy
	}
	o.Alerting.RestartGrace = o.Restart.GracePeriod
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	return &Engine{store: store, events: events, alerting: o.Alerting, restart: o.Restart, logger: o.Logger, guard: o.NotifyGuard,
		settle: make(chan struct{}, 1), owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), homelabcmd.NewGUID()[:8])}
}

// RestartPolicy is the engine's restart guard rails.
func (e *Engine) RestartPolicy() homelabcmd.RestartPolicy { return e.restart }

// configKeyThresholds is the stored setting that overrides the threshold
// defaults.
const configKeyThresholds = "thresholds"

// alertConfig is the rule configuration: stored thresholds (raw, as read)
// over the defaults.
func (e *Engine) alertConfig(raw string, found bool) (alerting.Config, error) {
	cfg := e.alerting
	if !found {
		return cfg, nil
	}
	return cfg, json.Unmarshal([]byte(raw), &cfg.Thresholds)
}

func (e *Engine) alertConfigTx(ctx context.Context, tx homelabcmd.Tx) (alerting.Config, error) {
	raw, found, err := tx.Setting(ctx, configKeyThresholds)
	if err != nil {
		return e.alerting, err
	}
	return e.alertConfig(raw, found)
}

// Thresholds returns the stored alert thresholds, or the defaults.
func (e *Engine) Thresholds(ctx context.Context) (alerting.Thresholds, error) {
	t, err := e.StoredThresholds(ctx)
	if t == nil {
		return e.alerting.Thresholds, err
	}
	return *t, err
}

// StoredThresholds returns the thresholds stored through the API (over
// the defaults), or nil when none are stored and the defaults apply.
func (e *Engine) StoredThresholds(ctx context.Context) (*alerting.Thresholds, error) {
	raw, found, err := e.store.GetConfig(ctx, configKeyThresholds)
	if err != nil || !found {
		return nil, err
	}
	cfg, err := e.alertConfig(raw, found)
	return &cfg.Thresholds, err
}

// UpdateThresholds merges a partial update into the stored thresholds and
// returns them with the names of the changed fields. EINVALID.
func (e *Engine) UpdateThresholds(ctx context.Context, p alerting.ThresholdsPatch) (alerting.Thresholds, []string, error) {
	var out alerting.Thresholds
	var updated []string
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		cfg, err := e.alertConfigTx(ctx, tx)
		if err != nil {
			return err
		}
		if out, updated, err = cfg.Thresholds.Apply(p); err != nil {
			return err
		}
		b, _ := json.Marshal(out)
		return tx.PutSetting(ctx, configKeyThresholds, string(b))
	})
	return out, updated, err
}

// since is a helper for "now minus d" in a transaction's time.
func since(tx homelabcmd.Tx, d time.Duration) time.Time { return tx.Now().Add(-d) }
