// Package updates is the agent's collector of available package updates:
// apt (Debian, Ubuntu) or dnf (Fedora, RHEL) asked with fixed arguments
// (never through a shell), in the background, rarely: every few hours and
// when the package database changes. A heartbeat never waits for it.
package updates

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
)

// Source lists the upgradable packages of a package manager.
type Source interface {
	// Name is the package manager ("apt", "dnf").
	Name() string
	// List runs the package manager and parses its output. cpu is the
	// CPU time (user + system) the commands took.
	List(ctx context.Context) (list []homelabcmd.Package, cpu time.Duration, err error)
	// Stamps are files whose modification marks a change of the package
	// database or the package lists (a recheck then).
	Stamps() []string
}

// Applier installs every pending update (apt-get dist-upgrade, dnf
// upgrade) and returns the output's tail and whether a reboot is needed.
type Applier interface {
	Apply(ctx context.Context) (output string, reboot *bool, err error)
}

// Defaults: a check every 6 hours at most, each bounded to 5 minutes; the
// list itself goes in a heartbeat when it changed and at least hourly.
const (
	DefaultEvery  = 6 * time.Hour
	CheckTimeout  = 5 * time.Minute
	ResendListFor = time.Hour
	// DefaultDelay holds the first check after the agent starts.
	DefaultDelay = 2 * time.Minute
)

// Collector adds the update counts and (when changed, else hourly) the
// list to full heartbeats, from the last background check.
type Collector struct {
	Source Source
	Every  time.Duration // 0: DefaultEvery
	// Delay holds the first check back after the first Collect (a boot is
	// busy enough; short-lived test hubs never pay for it). 0: at once.
	Delay  time.Duration
	Logger *slog.Logger
	Now    func() time.Time

	mu       sync.Mutex
	firstAt  time.Time // when the first Collect came
	running  bool
	have     bool
	list     []homelabcmd.Package
	checked  time.Time
	stamp    time.Time
	changed  bool // list differs from the one last sent
	sentAt   time.Time
	lastCPU  time.Duration
	lastErr  error
	finished chan struct{} // closed after each check (tests)
}

// Detect returns the source for this machine: apt when apt-get is on PATH,
// else dnf; nil when neither is.
func Detect() Source {
	if p, err := lookPath("apt-get"); err == nil {
		return &Apt{Bin: p}
	}
	if p, err := lookPath("dnf"); err == nil {
		return &Dnf{Bin: p, RPM: "rpm"}
	}
	return nil
}

// Name implements collect.Collector.
func (c *Collector) Name() string { return "updates" }

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Collect starts a background check when one is due and adds the last
// result to a full heartbeat.
func (c *Collector) Collect(ctx context.Context, full bool) (collect.Part, error) {
	c.maybeCheck()
	if !full {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.have {
		return nil, c.lastErr
	}
	total, security := len(c.list), 0
	for _, p := range c.list {
		if p.IsSecurity {
			security++
		}
	}
	var list *[]homelabcmd.Package
	if c.changed || c.now().Sub(c.sentAt) >= ResendListFor {
		l := slices.Clone(c.list)
		if l == nil {
			l = []homelabcmd.Package{}
		}
		list, c.changed, c.sentAt = &l, false, c.now()
	}
	return func(hb *homelabcmd.Heartbeat) {
		hb.UpdatesAvailable, hb.SecurityUpdates = &total, &security
		if list != nil {
			hb.Packages = list
		}
	}, nil
}

// stamp is the newest modification time of the source's stamp files.
func (c *Collector) currentStamp() time.Time {
	var newest time.Time
	for _, f := range c.Source.Stamps() {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	return newest
}

// maybeCheck starts a check when none ran yet, the last is older than
// Every, or the package database changed since.
func (c *Collector) maybeCheck() {
	every := c.Every
	if every <= 0 {
		every = DefaultEvery
	}
	stamp := c.currentStamp()
	c.mu.Lock()
	if c.firstAt.IsZero() {
		c.firstAt = c.now()
	}
	held := c.checked.IsZero() && c.now().Sub(c.firstAt) < c.Delay
	due := !c.running && !held && (c.checked.IsZero() || c.now().Sub(c.checked) >= every || !stamp.Equal(c.stamp))
	if due {
		c.running = true
		if c.finished == nil {
			c.finished = make(chan struct{})
		}
	}
	c.mu.Unlock()
	if due {
		go c.check(stamp)
	}
}

func (c *Collector) check(stamp time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), CheckTimeout)
	defer cancel()
	start := time.Now()
	list, cpu, err := c.Source.List(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running, c.checked, c.stamp, c.lastCPU, c.lastErr = false, c.now(), stamp, cpu, err
	if err == nil {
		if !c.have || !slices.Equal(list, c.list) {
			c.changed = true
		}
		c.list, c.have = list, true
	}
	if c.Logger != nil {
		if err != nil {
			c.Logger.Warn("checking for package updates failed", "source", c.Source.Name(), "err", err)
		} else {
			c.Logger.Info("checked for package updates", "source", c.Source.Name(), "upgradable", len(list), "cpu", cpu, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	close(c.finished)
	c.finished = make(chan struct{})
}

// Recheck makes the next Collect start a check (after updates were
// applied: the package database may live where no stamp shows it).
func (c *Collector) Recheck() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked = time.Time{}
	c.firstAt = c.now().Add(-c.Delay)
}

// LastCPU is the CPU time the last check took.
func (c *Collector) LastCPU() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastCPU
}

// Wait blocks until the running check (if any) has finished.
func (c *Collector) Wait() {
	c.mu.Lock()
	ch, running := c.finished, c.running
	c.mu.Unlock()
	if running {
		<-ch
	}
}
