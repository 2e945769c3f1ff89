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
	"github.com/homelabcmd/homelabcmd/agent/systemd"
)

// EventDelay is how long the agent waits after a unit change before it
// sends, so that a burst of changes (stop, then start) leaves as one
// heartbeat. It bounds the added latency of a change.
const EventDelay = 200 * time.Millisecond

// releaseDelay leaves delivery time to finish before memory is released.
const releaseDelay = 3 * time.Second

// CollectTimeout bounds one collection (D-Bus calls, filesystem stats).
const CollectTimeout = 15 * time.Second

// UnitSource is the agent's view of systemd (systemd.Client in production).
type UnitSource interface {
	// Units returns the state of each full unit name, in order; an error
	// means systemd could not be asked.
	Units(ctx context.Context, names []string) ([]systemd.Unit, error)
	// Changes delivers full names of units whose state changed.
	Changes() <-chan string
}

// HostSource reads host metrics (sysinfo.Collector in production).
type HostSource interface {
	Metrics(ctx context.Context) *homelabcmd.Metrics
	Filesystems(ctx context.Context) []homelabcmd.Filesystem
	NetworkInterfaces(ctx context.Context) []homelabcmd.NetworkInterface
	OSInfo(ctx context.Context) *homelabcmd.OSInfo
	CPUInfo(ctx context.Context) *homelabcmd.CPUInfo
}

// CommandHandler carries out the hub's pending commands (Executor.Handle).
// It must not block for long.
type CommandHandler func(ctx context.Context, cmds []homelabcmd.PendingCommand)

// Agent collects heartbeats and hands them to delivery. Set the fields, then
// call Run.
type Agent struct {
	Config   *Config
	Units    UnitSource
	Host     HostSource
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
	// on to the garbage of one collection only costs RSS.
	ReleaseMemory bool

	mu       sync.Mutex
	kick     chan struct{} // Beat asks Run for a heartbeat now
	expected []string      // enabled expected services from the hub's last answer
	reporter *systemd.Reporter
	osInfo   *homelabcmd.OSInfo
	cpuInfo  *homelabcmd.CPUInfo
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

// Collect makes one heartbeat. A full one also carries filesystems and
// network interfaces; one made for a unit change carries services, metrics
// and the static OS and CPU info.
func (a *Agent) Collect(ctx context.Context, full bool) *homelabcmd.Heartbeat {
	a.mu.Lock()
	if a.reporter == nil {
		a.reporter = systemd.NewReporter()
		a.osInfo, a.cpuInfo = a.Host.OSInfo(ctx), a.Host.CPUInfo(ctx)
	}
	a.mu.Unlock()
	cfg := a.Config
	hb := &homelabcmd.Heartbeat{
		ServerID: cfg.ServerID, Hostname: cfg.Hostname,
		AgentVersion: str(homelabcmd.Version), AgentMode: str(cfg.Mode),
		OSInfo: a.osInfo, CPUInfo: a.cpuInfo,
	}
	if cfg.ServerGUID != "" {
		hb.ServerGUID = str(cfg.ServerGUID)
	}
	if len(*hb.AgentVersion) > 20 {
		hb.AgentVersion = str((*hb.AgentVersion)[:20])
	}
	hb.Services = a.services(ctx)
	hb.Metrics = a.Host.Metrics(ctx)
	if full {
		hb.Filesystems = a.Host.Filesystems(ctx)
		hb.NetworkInterfaces = a.Host.NetworkInterfaces(ctx)
	}
	hb.Timestamp = homelabcmd.Time{Time: a.now().UTC()}
	return hb
}

// services reports every watched name; when systemd cannot be asked, each
// is unknown with the reason.
func (a *Agent) services(ctx context.Context) []homelabcmd.ServiceReport {
	names := a.WatchList()
	if len(names) == 0 {
		return nil
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
	out := make([]homelabcmd.ServiceReport, 0, len(names))
	var states []systemd.Unit
	var err error
	if a.Units == nil {
		err = errNoSystemd
	} else {
		states, err = a.Units.Units(ctx, units)
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range names {
		if err != nil {
			out = append(out, systemd.Unavailable(n, err.Error()))
			continue
		}
		out = append(out, a.reporter.Report(n, states[index[homelabcmd.UnitName(n)]], now))
	}
	return out
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errNoSystemd = constErr("no systemd connection")

// watches reports whether a full unit name is one the agent reports.
func (a *Agent) watches(unit string) bool {
	for _, n := range a.WatchList() {
		if homelabcmd.UnitName(n) == unit {
			return true
		}
	}
	return false
}

// Run sends a heartbeat at once, then every heartbeat_interval, and within
// EventDelay of a change of a watched unit, until ctx ends. Delivery runs
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
	defer wg.Wait()

	emit := func(full bool) {
		// A hung D-Bus or filesystem call must not stop the loop for good.
		cctx, cancel := context.WithTimeout(ctx, CollectTimeout)
		hb := a.Collect(cctx, full)
		cancel()
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
	var changes <-chan string
	if a.Units != nil {
		changes = a.Units.Changes()
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
		case <-watchdog:
			a.Ping()
		case <-ticker.C:
			emit(true)
			after()
		case <-kick:
			emit(false)
		case unit := <-changes:
			if fire == nil && a.watches(unit) {
				a.Logger.Debug("unit changed", "unit", unit)
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
