package systemd

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestMapState(t *testing.T) {
	tests := []struct {
		name              string
		load, active, sub string
		want              homelabcmd.ServiceStatusValue
		wantReason        string
	}{
		{"active running", "loaded", "active", "running", homelabcmd.StatusRunning, ""},
		{"active exited (oneshot)", "loaded", "active", "exited", homelabcmd.StatusRunning, ""},
		{"reloading", "loaded", "reloading", "reload", homelabcmd.StatusRunning, ""},
		{"activating", "loaded", "activating", "start", homelabcmd.StatusRunning, ""},
		{"activating auto-restart", "loaded", "activating", "auto-restart", homelabcmd.StatusRunning, "waiting to restart after a failure"},
		{"refreshing", "loaded", "refreshing", "refresh", homelabcmd.StatusRunning, ""},
		{"inactive", "loaded", "inactive", "dead", homelabcmd.StatusStopped, ""},
		{"deactivating", "loaded", "deactivating", "stop-sigterm", homelabcmd.StatusStopped, ""},
		{"failed", "loaded", "failed", "failed", homelabcmd.StatusFailed, ""},
		{"failed with substate", "loaded", "failed", "start-limit-hit", homelabcmd.StatusFailed, "SubState: start-limit-hit"},
		{"not-found", "not-found", "inactive", "dead", homelabcmd.StatusUnknown, "unit not found"},
		{"not-loaded", "not-loaded", "inactive", "dead", homelabcmd.StatusUnknown, "unit not loaded"},
		{"stub", "stub", "inactive", "dead", homelabcmd.StatusUnknown, "unit not found"},
		{"empty answer", "", "", "", homelabcmd.StatusUnknown, "unit not found"},
		{"file deleted while running", "not-found", "active", "running", homelabcmd.StatusRunning, ""},
		{"not-found but failed", "not-found", "failed", "failed", homelabcmd.StatusFailed, ""},
		{"masked", "masked", "inactive", "dead", homelabcmd.StatusStopped, "unit is masked"},
		{"bad-setting", "bad-setting", "inactive", "dead", homelabcmd.StatusStopped, "unit file has errors (bad-setting)"},
		{"error", "error", "inactive", "dead", homelabcmd.StatusStopped, "unit file has errors (error)"},
		{"maintenance", "loaded", "maintenance", "cleaning", homelabcmd.StatusUnknown, "unexpected ActiveState maintenance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := MapState(tt.load, tt.active, tt.sub)
			if got != tt.want || reason != tt.wantReason {
				t.Fatalf("MapState(%q,%q,%q) = %q %q, want %q %q", tt.load, tt.active, tt.sub, got, reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestReporterFields(t *testing.T) {
	r := NewReporter()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := Unit{Name: "plex.service", LoadState: "loaded", ActiveState: "active", SubState: "running",
		MainPID: 1234, MemoryCurrent: 512 << 20, CPUUsageNSec: 1e9, NRestarts: 2, HasService: true}
	rep := r.Report("plex", u, t0)
	if rep.Name != "plex" || rep.Status != homelabcmd.StatusRunning || *rep.PID != 1234 || *rep.MemoryMB != 512 || *rep.Restarts != 2 {
		t.Fatalf("first report %+v", rep)
	}
	if rep.CPUPercent != nil {
		t.Fatalf("cpu_percent without a previous sample: %v", *rep.CPUPercent)
	}
	// 3 s of CPU in 2 s of wall time: 150 %, more than one core.
	u.CPUUsageNSec += 3e9
	rep = r.Report("plex", u, t0.Add(2*time.Second))
	if rep.CPUPercent == nil || *rep.CPUPercent != 150 {
		t.Fatalf("cpu_percent %v", rep.CPUPercent)
	}
	// A restart (new PID, counter reset) gives no delta, not a negative one.
	u.MainPID, u.CPUUsageNSec = 2000, 1e6
	if rep = r.Report("plex", u, t0.Add(4*time.Second)); rep.CPUPercent != nil {
		t.Fatalf("cpu_percent across a restart: %v", *rep.CPUPercent)
	}
	// Stopped: no PID (null when 0), no memory, no CPU.
	stopped := Unit{Name: "plex.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead",
		MemoryCurrent: notSet, CPUUsageNSec: notSet, HasService: true}
	rep = r.Report("plex", stopped, t0.Add(6*time.Second))
	if rep.Status != homelabcmd.StatusStopped || rep.PID != nil || rep.MemoryMB != nil || rep.CPUPercent != nil {
		t.Fatalf("stopped report %+v", rep)
	}
	// Missing unit: unknown with a reason and no service fields.
	rep = r.Report("ghost", Unit{Name: "ghost.service", LoadState: "not-found", ActiveState: "inactive"}, t0)
	if rep.Status != homelabcmd.StatusUnknown || rep.StatusReason == nil || rep.Restarts != nil {
		t.Fatalf("missing unit %+v", rep)
	}
	if err := (&homelabcmd.Heartbeat{ServerID: "x", Hostname: "x", Timestamp: homelabcmd.Time{Time: t0},
		Services: []homelabcmd.ServiceReport{rep}}).Validate(); err != nil {
		t.Fatalf("report does not validate: %v", err)
	}
}
