// Package systemd reads the state of systemd units over D-Bus for the agent
// and maps it to the hub's four service states.
package systemd

import (
	"math"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Unit is what systemd says about one unit at one moment. The service
// fields are zero when the unit is not a loaded service.
type Unit struct {
	Name        string // full unit name, e.g. "plex.service"
	LoadState   string // loaded, not-found, masked, bad-setting, error, stub, …
	ActiveState string // active, reloading, inactive, failed, activating, deactivating, …
	SubState    string // unit-type specific, e.g. running, dead, auto-restart

	MainPID       uint32
	MemoryCurrent uint64 // bytes; math.MaxUint64 when systemd does not track it
	CPUUsageNSec  uint64 // CPU time of the unit's cgroup; math.MaxUint64 when not tracked
	NRestarts     uint32
	HasService    bool // the four fields above were read
}

// notSet is systemd's "[not set]" value for the 64-bit counters.
const notSet = math.MaxUint64

// MapState maps systemd's LoadState and ActiveState (SubState only refines the
// reason) to a service status and an optional reason:
//
//	LoadState                         ActiveState                           → status   reason
//	not-found, not-loaded, stub, ""   inactive or ""                        → unknown  "unit not found" / "unit not loaded"
//	any                               active, reloading, activating,        → running  "" ("waiting to restart after a failure" for SubState auto-restart)
//	                                  refreshing
//	any                               inactive, deactivating                → stopped  "" ("unit is masked" / "unit file has errors (…)" when LoadState says so)
//	any                               failed                                → failed   "SubState: …" when it adds anything
//	any                               anything else (e.g. maintenance)      → unknown  "unexpected ActiveState …"
//
// A unit whose file was deleted while it runs keeps running: systemd says
// not-found/active, and that is reported as running, because it is.
func MapState(loadState, activeState, subState string) (homelabcmd.ServiceStatusValue, string) {
	switch loadState {
	case "not-found", "", "stub":
		if activeState == "inactive" || activeState == "" {
			return homelabcmd.StatusUnknown, "unit not found"
		}
	case "not-loaded":
		if activeState == "inactive" || activeState == "" {
			return homelabcmd.StatusUnknown, "unit not loaded"
		}
	}
	switch activeState {
	case "active", "reloading", "activating", "refreshing":
		if strings.HasPrefix(subState, "auto-restart") {
			return homelabcmd.StatusRunning, "waiting to restart after a failure"
		}
		return homelabcmd.StatusRunning, ""
	case "inactive", "deactivating":
		switch loadState {
		case "masked":
			return homelabcmd.StatusStopped, "unit is masked"
		case "bad-setting", "error":
			return homelabcmd.StatusStopped, "unit file has errors (" + loadState + ")"
		}
		return homelabcmd.StatusStopped, ""
	case "failed":
		if subState != "" && subState != "failed" {
			return homelabcmd.StatusFailed, "SubState: " + subState
		}
		return homelabcmd.StatusFailed, ""
	}
	return homelabcmd.StatusUnknown, "unexpected ActiveState " + activeState
}

// cpuSample is the last CPUUsageNSec seen for a unit.
type cpuSample struct {
	nsec uint64
	pid  uint32
	at   time.Time
}

// Reporter turns unit samples into service reports. It remembers the last
// CPU counter of each unit, so cpu_percent is the average over the time
// since the previous sample (100 = one core busy; may exceed 100). It is not
// safe for concurrent use.
type Reporter struct {
	last map[string]cpuSample
}

// NewReporter returns a Reporter with no history.
func NewReporter() *Reporter { return &Reporter{last: map[string]cpuSample{}} }

// Report builds the report for a unit sampled at now, named as configured
// (e.g. "plex" for plex.service).
func (r *Reporter) Report(name string, u Unit, now time.Time) homelabcmd.ServiceReport {
	status, reason := MapState(u.LoadState, u.ActiveState, u.SubState)
	rep := homelabcmd.ServiceReport{Name: name, Status: status}
	if reason != "" {
		rep.StatusReason = &reason
	}
	if !u.HasService {
		delete(r.last, u.Name)
		return rep
	}
	restarts := int(u.NRestarts)
	rep.Restarts = &restarts
	if u.MainPID > 0 {
		pid := int(u.MainPID)
		rep.PID = &pid
	}
	if u.MemoryCurrent != notSet && status == homelabcmd.StatusRunning {
		mb := math.Round(float64(u.MemoryCurrent)/(1<<20)*100) / 100
		rep.MemoryMB = &mb
	}
	if u.CPUUsageNSec == notSet || status != homelabcmd.StatusRunning {
		delete(r.last, u.Name)
		return rep
	}
	prev, ok := r.last[u.Name]
	r.last[u.Name] = cpuSample{nsec: u.CPUUsageNSec, pid: u.MainPID, at: now}
	// A restart resets the counter; a new PID or a smaller counter means the
	// previous sample belongs to another run.
	if ok && prev.pid == u.MainPID && u.CPUUsageNSec >= prev.nsec {
		if wall := now.Sub(prev.at); wall > 0 {
			pct := math.Round(float64(u.CPUUsageNSec-prev.nsec)/float64(wall.Nanoseconds())*100*100) / 100
			rep.CPUPercent = &pct
		}
	}
	return rep
}

// Unavailable returns the report for a service when systemd cannot be asked.
func Unavailable(name, reason string) homelabcmd.ServiceReport {
	r := "systemd not available: " + reason
	if len(r) > 255 {
		r = r[:255]
	}
	return homelabcmd.ServiceReport{Name: name, Status: homelabcmd.StatusUnknown, StatusReason: &r}
}
