// Package collect is the agent's plug point for what a heartbeat carries:
// each Collector fills its own part (host metrics, systemd units, …), and a
// Runner runs them side by side, each bounded, so that a failing or hung
// one never holds back the others or the heartbeat. It lives apart from
// package agent so that collectors need not import the agent's loop.
package collect

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
)

// Part fills a collector's piece of a heartbeat. The Runner applies parts
// one after another on the collecting goroutine, so a Part needs no locks;
// it should only assign what Collect already read.
type Part func(hb *homelabcmd.Heartbeat)

// Collector reads one source for the heartbeat.
type Collector interface {
	// Name identifies the collector in logs ("host", "systemd").
	Name() string
	// Collect reads the source and returns the part to add (nil: nothing).
	// full is set for the periodic heartbeat, which also carries slow,
	// bulky data (filesystems, interfaces); a heartbeat sent for a change
	// leaves that out. It must honour ctx: the Runner stops waiting at the
	// deadline and drops a late answer. On an error the part is not used.
	Collect(ctx context.Context, full bool) (Part, error)
}

// Fallback is a Collector that still says something when Collect failed or
// did not answer in time, e.g. each watched unit as unknown with the
// reason, which tells the hub "cannot tell" rather than "gone".
type Fallback interface {
	Failed(err error) Part
}

// Watcher is a Collector that notices changes of its source as they
// happen (systemd's PropertiesChanged signals), so that the agent sends a
// heartbeat within a moment rather than at the next tick.
type Watcher interface {
	// Watch calls changed after each change worth a heartbeat, until ctx
	// ends. changed never blocks; the agent coalesces bursts.
	Watch(ctx context.Context, changed func())
}
