package systemd

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
)

// UnitSource is the collector's view of systemd (Client in production).
type UnitSource interface {
	// Units returns the state of each full unit name, in order; an error
	// means systemd could not be asked.
	Units(ctx context.Context, names []string) ([]Unit, error)
	// Changes delivers full names of units whose state changed.
	Changes() <-chan string
}

// Collector reports the watched units as the heartbeat's services, and
// watches their PropertiesChanged signals so a change is sent at once.
type Collector struct {
	units   UnitSource
	watched func() []string // names to report, e.g. "plex" or "backup.timer"
	logger  *slog.Logger

	mu       sync.Mutex // guards reporter, which keeps CPU samples
	reporter *Reporter
}

var (
	_ collect.Collector = (*Collector)(nil)
	_ collect.Fallback  = (*Collector)(nil)
	_ collect.Watcher   = (*Collector)(nil)
)

// NewCollector returns a collector of the units that watched names at the
// time of each heartbeat (the agent's monitored and expected services).
func NewCollector(units UnitSource, watched func() []string, logger *slog.Logger) *Collector {
	return &Collector{units: units, watched: watched, logger: logger, reporter: NewReporter()}
}

// Name identifies the collector in logs.
func (c *Collector) Name() string { return "systemd" }

// Collect reports every watched name, in order; an error means systemd
// could not be asked (Failed then reports each name as unknown).
func (c *Collector) Collect(ctx context.Context, _ bool) (collect.Part, error) {
	names := c.watched()
	if len(names) == 0 {
		return nil, nil
	}
	units := make([]string, 0, len(names))
	index := map[string]int{}
	for _, n := range names {
		u := homelabcmd.UnitName(n)
		if _, ok := index[u]; !ok {
			index[u] = len(units)
			units = append(units, u)
		}
	}
	states, err := c.units.Units(ctx, units)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]homelabcmd.ServiceReport, 0, len(names))
	c.mu.Lock()
	for _, n := range names {
		out = append(out, c.reporter.Report(n, states[index[homelabcmd.UnitName(n)]], now))
	}
	c.mu.Unlock()
	return func(hb *homelabcmd.Heartbeat) { hb.Services = out }, nil
}

// Failed reports each watched name as unknown, with the reason systemd
// could not be asked.
func (c *Collector) Failed(err error) collect.Part {
	names := c.watched()
	if len(names) == 0 {
		return nil
	}
	out := make([]homelabcmd.ServiceReport, 0, len(names))
	for _, n := range names {
		out = append(out, Unavailable(n, err.Error()))
	}
	return func(hb *homelabcmd.Heartbeat) { hb.Services = out }
}

// Watch calls changed when a watched unit's state changes, until ctx ends.
func (c *Collector) Watch(ctx context.Context, changed func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case unit := <-c.units.Changes():
			if c.watches(unit) {
				c.logger.Debug("unit changed", "unit", unit)
				changed()
			}
		}
	}
}

// watches reports whether a full unit name is one the collector reports.
func (c *Collector) watches(unit string) bool {
	for _, n := range c.watched() {
		if homelabcmd.UnitName(n) == unit {
			return true
		}
	}
	return false
}
