package checks

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
)

// DefaultConcurrency bounds the probes running at once.
const DefaultConcurrency = 8

// maxPendingPerCheck bounds the results of one check kept for the next
// heartbeat (while the hub is slow to take them, the newest win).
const maxPendingPerCheck = 10

// Collector runs the hub's checks on their own schedule (each at its
// interval, the first after a random part of it so that checks spread out)
// and hands their results to the next heartbeat. A result whose status
// differs from the check's previous one asks for a heartbeat soon (Watch).
type Collector struct {
	// Concurrency bounds the probes running at once (DefaultConcurrency
	// when 0).
	Concurrency int
	Prober      Prober
	Logger      *slog.Logger

	mu      sync.Mutex
	specs   map[int64]homelabcmd.CheckSpec
	next    map[int64]time.Time
	last    map[int64]string // previous status per check
	fails   map[int64]int    // failures in a row per check
	pending map[int64][]homelabcmd.CheckResult
	wake    chan struct{}
	changed func()
}

var (
	_ collect.Collector = (*Collector)(nil)
	_ collect.Watcher   = (*Collector)(nil)
)

// New returns a collector with no checks yet.
func New(logger *slog.Logger) *Collector {
	return &Collector{Logger: logger, specs: map[int64]homelabcmd.CheckSpec{}, next: map[int64]time.Time{},
		last: map[int64]string{}, fails: map[int64]int{}, pending: map[int64][]homelabcmd.CheckResult{}, wake: make(chan struct{}, 1)}
}

// Name implements collect.Collector.
func (c *Collector) Name() string { return "checks" }

// SetChecks replaces the checks to run (from a heartbeat answer). A new or
// changed check runs within a random part of its interval; checks no
// longer handed out stop, and their unsent results are dropped.
func (c *Collector) SetChecks(specs []homelabcmd.CheckSpec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[int64]bool{}
	now := time.Now()
	changed := false
	for _, s := range specs {
		seen[s.ID] = true
		if old, ok := c.specs[s.ID]; ok && reflect.DeepEqual(old, s) {
			continue
		}
		changed = true
		c.specs[s.ID] = s
		c.next[s.ID] = now.Add(jitter(s))
		delete(c.last, s.ID)
		delete(c.fails, s.ID)
	}
	for id := range c.specs {
		if !seen[id] {
			changed = true
			delete(c.specs, id)
			delete(c.next, id)
			delete(c.last, id)
			delete(c.fails, id)
			delete(c.pending, id)
		}
	}
	if changed {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// jitter is when a new check first runs: within the first tenth of its
// interval, at most 10 s.
func jitter(s homelabcmd.CheckSpec) time.Duration {
	span := min(time.Duration(s.IntervalSeconds)*time.Second/10, 10*time.Second)
	if span <= 0 {
		return 0
	}
	return rand.N(span)
}

// Collect implements collect.Collector: it hands over the results gathered
// since the last heartbeat, at most homelabcmd.MaxCheckResultsPerHeartbeat
// (the rest wait for the next).
func (c *Collector) Collect(context.Context, bool) (collect.Part, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []homelabcmd.CheckResult
	for id, list := range c.pending {
		room := homelabcmd.MaxCheckResultsPerHeartbeat - len(out)
		if room <= 0 {
			break
		}
		n := min(room, len(list))
		out = append(out, list[:n]...)
		if n == len(list) {
			delete(c.pending, id)
		} else {
			c.pending[id] = list[n:]
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return func(hb *homelabcmd.Heartbeat) { hb.CheckResults = append(hb.CheckResults, out...) }, nil
}

// Watch implements collect.Watcher: it runs the checks until ctx ends and
// calls changed when a check's status changes.
func (c *Collector) Watch(ctx context.Context, changed func()) {
	c.mu.Lock()
	c.changed = changed
	c.mu.Unlock()
	c.Run(ctx)
}

// Run runs the checks as they fall due until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	n := c.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	slots := make(chan struct{}, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, wait := c.due(time.Now())
		for _, s := range due {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				c.record(c.Prober.Probe(ctx, s))
			}()
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-c.wake:
		}
	}
}

// due returns the checks due at now (their next run moved on by their
// interval) and how long until the next one falls due.
func (c *Collector) due(now time.Time) ([]homelabcmd.CheckSpec, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []homelabcmd.CheckSpec
	wait := time.Hour
	for id, at := range c.next {
		s := c.specs[id]
		if !at.After(now) {
			out = append(out, s)
			at = now.Add(time.Duration(s.IntervalSeconds) * time.Second)
			c.next[id] = at
		}
		wait = min(wait, at.Sub(now))
	}
	return out, max(wait, 0)
}

// record keeps a result for the next heartbeat and asks for one soon when
// the check's status changed, or when it failed again while the hub still
// counts its retries.
func (c *Collector) record(r homelabcmd.CheckResult) {
	c.mu.Lock()
	spec, ok := c.specs[r.CheckID]
	if !ok {
		c.mu.Unlock()
		return // withdrawn while it ran
	}
	list := append(c.pending[r.CheckID], r)
	if len(list) > maxPendingPerCheck {
		list = list[len(list)-maxPendingPerCheck:]
	}
	c.pending[r.CheckID] = list
	prev, seen := c.last[r.CheckID]
	c.last[r.CheckID] = r.Status
	retrying := false
	if r.Status == homelabcmd.CheckDown {
		c.fails[r.CheckID]++
		retrying = c.fails[r.CheckID] <= spec.Retries+1
	} else {
		c.fails[r.CheckID] = 0
	}
	notify := c.changed
	c.mu.Unlock()
	// A first result asks for a heartbeat only when it is a failure: a
	// fleet of new checks must not send a burst of them.
	if (seen && prev != r.Status || !seen && r.Status != homelabcmd.CheckUp || retrying) && notify != nil {
		if c.Logger != nil && seen {
			c.Logger.Info("check changed", "check_id", r.CheckID, "from", prev, "to", r.Status)
		}
		notify()
	}
}
