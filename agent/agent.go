package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
	"github.com/homelabcmd/homelabcmd/memtrim"
)

// EventDelay is how long the agent waits after a change a collector
// watches (a unit's state) before it sends, so that a burst of changes
// (stop, then start) leaves as one heartbeat. It bounds the added latency
// of a change.
const EventDelay = 200 * time.Millisecond

// releaseDelay leaves delivery time to finish before memory is released.
const releaseDelay = 3 * time.Second

// CollectTimeout bounds one collection (D-Bus calls, filesystem stats):
// the collectors run side by side, each under this deadline, and the
// heartbeat leaves without the part of one that has not answered by then.
const CollectTimeout = 15 * time.Second

// CommandHandler carries out the hub's pending commands (Executor.Handle).
// It must not block for long.
type CommandHandler func(ctx context.Context, cmds []homelabcmd.PendingCommand)

// Agent collects heartbeats and hands them to delivery. Set the fields, then
// call Run.
type Agent struct {
	Config *Config
	// Collectors fill the heartbeat, each its own part (see package
	// collect); agentcmd.Build lists them.
	Collectors []collect.Collector
	// Timeout bounds one collection; 0 means CollectTimeout.
	Timeout  time.Duration
	Sender   Sender  // nil: heartbeats are only passed to Emit
	Outbox   *Outbox // nil: undelivered heartbeats are kept only in memory
	Commands CommandHandler
	// Line, with Commands set, is held open to the hub so that a queued
	// action arrives at once rather than with the next heartbeat.
	Line   CommandSource
	Logger *slog.Logger
	Now    func() time.Time
	// Emit, when set, receives every heartbeat made (dry runs print them).
	Emit func(hb *homelabcmd.Heartbeat)
	// Watchdog, when above zero, is systemd's WatchdogSec: the loop calls
	// Ping a third as often, from the loop itself, so a stuck loop (not
	// just a live process) gets the agent restarted.
	Watchdog time.Duration
	Ping     func()
	// ReleaseMemory returns freed memory to the OS a little after each
	// heartbeat: the agent then idles for the whole interval, so holding
	// on to the garbage of one collection only costs RSS. After the first
	// it also drops the executable's pages startup touched (memtrim).
	ReleaseMemory bool
	// Delivered, when set, is called after each heartbeat the hub took
	// (a pending upgrade is confirmed by the first).
	Delivered func()
	// Checks, when set, receives the checks of each heartbeat answer (the
	// checks collector's SetChecks).
	Checks func([]homelabcmd.CheckSpec)
	// Capabilities are declared in every heartbeat (homelabcmd.Cap*): the
	// hub hands this agent only actions it declares it can run. The agent
	// always watches the hub's expected services (CapExpectedServices).
	Capabilities []string

	mu       sync.Mutex
	kick     chan struct{} // Beat asks Run for a heartbeat now
	expected []string      // enabled expected services from the hub's last answer
	// containers are the enabled expected containers from that answer.
	containers []string
	runner     *collect.Runner
}

func (a *Agent) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// WatchList returns the names to report: monitored_services ∪ the hub's
// expected services, sorted, each once, invalid names left out.
func (a *Agent) WatchList() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]string{a.Config.MonitoredServices, a.expected} {
		for _, n := range list {
			if !seen[n] && homelabcmd.ValidateUnitName(n) == nil {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Beat asks the running loop for a heartbeat now (without filesystems and
// interfaces), e.g. so the hub sees a restarted unit. It never blocks.
func (a *Agent) Beat() {
	select {
	case a.kickChan() <- struct{}{}:
	default: // one is already asked for
	}
}

func (a *Agent) kickChan() chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.kick == nil {
		a.kick = make(chan struct{}, 1)
	}
	return a.kick
}

// SetExpected records the hub's expected services (from a heartbeat answer).
func (a *Agent) SetExpected(names []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expected = append([]string(nil), names...)
}

// SetExpectedContainers records the hub's expected containers.
func (a *Agent) SetExpectedContainers(names []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.containers = append([]string(nil), names...)
}

// ExpectedContainers returns the hub's expected containers from its last
// answer.
func (a *Agent) ExpectedContainers() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.containers...)
}

// Collect makes one heartbeat, bounded by Timeout. A full one also carries
// filesystems and network interfaces; one made for a change carries
// services, metrics and the static OS and CPU info.
func (a *Agent) Collect(ctx context.Context, full bool) *homelabcmd.Heartbeat {
	cfg := a.Config
	hb := &homelabcmd.Heartbeat{
		ServerID: cfg.ServerID, Hostname: cfg.Hostname,
		AgentVersion: str(homelabcmd.Version), AgentMode: str(cfg.Mode),
	}
	if cfg.ServerGUID != "" {
		hb.ServerGUID = str(cfg.ServerGUID)
	}
	if len(*hb.AgentVersion) > 20 {
		hb.AgentVersion = str((*hb.AgentVersion)[:20])
	}
	caps := append([]string{homelabcmd.CapExpectedServices}, a.Capabilities...)
	hb.Capabilities = &caps
	a.collectors().Fill(ctx, hb, full)
	hb.Timestamp = homelabcmd.Time{Time: a.now().UTC()}
	return hb
}

func (a *Agent) collectors() *collect.Runner {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runner == nil {
		timeout := a.Timeout
		if timeout <= 0 {
			timeout = CollectTimeout
		}
		a.runner = collect.NewRunner(a.Collectors, timeout, a.Logger)
	}
	return a.runner
}

// Run sends a heartbeat at once, then every heartbeat_interval, and within
// EventDelay of a change a collector watches, until ctx ends. Delivery runs
// beside it so a slow hub never delays collection.
func (a *Agent) Run(ctx context.Context) error {
	out := make(chan *homelabcmd.Heartbeat, 64)
	var wg sync.WaitGroup
	if a.Sender != nil {
		d := newDelivery(a, out)
		wg.Add(1)
		go func() { defer wg.Done(); d.run(ctx) }()
	}
	if a.Line != nil && a.Commands != nil {
		wg.Add(1)
		go func() { defer wg.Done(); a.pollCommands(ctx) }()
	}
	// A change arms one heartbeat EventDelay later; more changes meanwhile
	// join it.
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	for _, c := range a.Collectors {
		if w, ok := c.(collect.Watcher); ok {
			wg.Add(1)
			go func() { defer wg.Done(); w.Watch(ctx, notify) }()
		}
	}
	defer wg.Wait()

	emit := func(full bool) {
		// Collect is bounded: a hung D-Bus or filesystem call must not stop
		// the loop for good.
		hb := a.Collect(ctx, full)
		a.Logger.Debug("heartbeat collected", "timestamp", hb.Timestamp.Format(time.RFC3339Nano), "full", full, "services", len(hb.Services))
		if a.Emit != nil {
			a.Emit(hb)
		}
		if a.Sender == nil {
			return
		}
		select {
		case out <- hb:
		case <-ctx.Done():
		}
	}
	ticker := time.NewTicker(a.Config.HeartbeatInterval)
	defer ticker.Stop()
	var fire <-chan time.Time
	kick := a.kickChan()
	var watchdog <-chan time.Time
	if a.Watchdog > 0 && a.Ping != nil {
		t := time.NewTicker(a.Watchdog / 3)
		defer t.Stop()
		watchdog = t.C
		a.Ping()
	}
	var release <-chan time.Time
	trimmed := false
	after := func() {
		if a.ReleaseMemory {
			release = time.After(releaseDelay)
		}
	}
	emit(true)
	after()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-release:
			release = nil
			debug.FreeOSMemory()
			if !trimmed {
				// Startup is over with the first heartbeat delivered.
				trimmed = true
				_, _ = memtrim.DropExecutablePages()
			}
		case <-watchdog:
			a.Ping()
		case <-ticker.C:
			emit(true)
			after()
		case <-kick:
			emit(false)
		case <-changed:
			if fire == nil {
				fire = time.After(EventDelay)
			}
		case <-fire:
			fire = nil
			emit(false)
			after()
		}
	}
}

// Marshal encodes a heartbeat as sent to the hub.
func Marshal(hb *homelabcmd.Heartbeat) []byte {
	b, _ := json.Marshal(hb)
	return b
}

func str(s string) *string { return &s }
