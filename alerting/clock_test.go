package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestOffline(t *testing.T) {
	seen := func(ago time.Duration) *time.Time { v := t0.Add(-ago); return &v }
	tests := []struct {
		name        string
		s           ServerSeen
		wantOffline bool
		wantAlert   bool
		wantNotify  bool
	}{
		{"exactly the timeout is still online", ServerSeen{Server: Server{ID: "a"}, Status: "online", LastSeen: seen(180 * time.Second)}, false, false, false},
		{"past the timeout: offline with a critical alert", ServerSeen{Server: Server{ID: "a", Name: "a.lan"}, Status: "online", LastSeen: seen(181 * time.Second)}, true, true, true},
		{"workstation: offline without an alert", ServerSeen{Server: Server{ID: "a", MachineType: homelabcmd.MachineWorkstation}, Status: "online", LastSeen: seen(time.Hour)}, true, false, false},
		{"already alerted: no second alert", ServerSeen{Server: Server{ID: "a"}, Status: "online", LastSeen: seen(time.Hour), OfflineAlert: &homelabcmd.Alert{ID: 3}}, true, false, false},
		{"paused: recorded, not notified", ServerSeen{Server: Server{ID: "a", Paused: true}, Status: "online", LastSeen: seen(time.Hour)}, true, true, false},
		{"already offline: nothing", ServerSeen{Server: Server{ID: "a"}, Status: "offline", LastSeen: seen(time.Hour)}, false, false, false},
		{"never seen: nothing", ServerSeen{Server: Server{ID: "a"}, Status: "unknown"}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, tr := Offline(tt.s, DefaultConfig(), t0)
			if off != tt.wantOffline || (tr != nil) != tt.wantAlert {
				t.Fatalf("Offline = %v, %+v; want offline %v, alert %v", off, tr, tt.wantOffline, tt.wantAlert)
			}
			if tr != nil {
				if tr.Notify != tt.wantNotify || tr.Alert.Severity != homelabcmd.SeverityCritical || tr.Alert.AlertType != homelabcmd.AlertOffline {
					t.Errorf("transition = %+v", tr)
				}
				if err := tr.Alert.Validate(); err != nil {
					t.Errorf("offline alert invalid: %v", err)
				}
			}
		})
	}
}

func TestOfflineTimeoutIsConfigurable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Thresholds.ServerOfflineSeconds = 600
	last := t0.Add(-500 * time.Second)
	if off, _ := Offline(ServerSeen{Server: Server{ID: "a"}, Status: "online", LastSeen: &last}, cfg, t0); off {
		t.Error("server went offline before the configured 600 s")
	}
}

func TestRemind(t *testing.T) {
	alert := func(sev, status string, age time.Duration) *homelabcmd.Alert {
		return &homelabcmd.Alert{ID: 1, Severity: sev, Status: status, CreatedAt: t0.Add(-age)}
	}
	notified := func(ago time.Duration) *time.Time { v := t0.Add(-ago); return &v }
	tests := []struct {
		name   string
		a      *homelabcmd.Alert
		last   *time.Time
		paused bool
		want   bool
	}{
		{"critical after 30 min", alert("critical", "open", 30*time.Minute), nil, false, true},
		{"critical before 30 min", alert("critical", "open", 29*time.Minute), nil, false, false},
		{"critical notified 10 min ago", alert("critical", "open", 2*time.Hour), notified(10 * time.Minute), false, false},
		{"high after 4 h", alert("high", "open", 4*time.Hour), nil, false, true},
		{"high after 3 h", alert("high", "open", 3*time.Hour), nil, false, false},
		{"medium uses the high interval", alert("medium", "open", 4*time.Hour), notified(4 * time.Hour), false, true},
		{"acknowledged: no reminders", alert("critical", "acknowledged", 5*time.Hour), nil, false, false},
		{"resolved: no reminders", alert("critical", "resolved", 5*time.Hour), nil, false, false},
		{"paused server: no reminders", alert("critical", "open", 5*time.Hour), nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, ok := Remind(tt.a, tt.last, tt.paused, DefaultConfig(), t0)
			if ok != tt.want {
				t.Fatalf("Remind = %v, want %v", ok, tt.want)
			}
			if ok && (tr.Kind != Reminder || tr.Alert.ID != 1 || !tr.Notify) {
				t.Errorf("transition = %+v", tr)
			}
		})
	}
}

func TestThresholdsApply(t *testing.T) {
	i := func(v int) *int { return &v }
	tests := []struct {
		name    string
		patch   ThresholdsPatch
		updated []string
		field   string // expected error field; "" for success
		check   func(t *testing.T, got Thresholds)
	}{
		{name: "partial update", patch: ThresholdsPatch{CPU: &MetricThresholdPatch{HighPercent: i(80)}, ServerOfflineSeconds: i(300)},
			updated: []string{"cpu.high_percent", "server_offline_seconds"},
			check: func(t *testing.T, got Thresholds) {
				if got.CPU.HighPercent != 80 || got.CPU.CriticalPercent != 95 || got.ServerOfflineSeconds != 300 || got.Memory != DefaultThresholds().Memory {
					t.Errorf("merged = %+v", got)
				}
			}},
		{name: "unchanged values are not listed", patch: ThresholdsPatch{Disk: &MetricThresholdPatch{HighPercent: i(80)}}, updated: []string{}},
		{name: "critical must exceed high", patch: ThresholdsPatch{Memory: &MetricThresholdPatch{HighPercent: i(96)}}, field: "memory.critical_percent"},
		{name: "percent above 100", patch: ThresholdsPatch{CPU: &MetricThresholdPatch{CriticalPercent: i(101)}}, field: "cpu.critical_percent"},
		{name: "sustained above 600", patch: ThresholdsPatch{CPU: &MetricThresholdPatch{SustainedSeconds: i(601)}}, field: "cpu.sustained_seconds"},
		{name: "offline below 30 s", patch: ThresholdsPatch{ServerOfflineSeconds: i(29)}, field: "server_offline_seconds"},
		{name: "reminder below 5 min", patch: ThresholdsPatch{Reminders: &RemindersPatch{CriticalMinutes: i(4)}}, field: "reminders.critical_minutes"},
		{name: "deprecated heartbeats become seconds", patch: ThresholdsPatch{Disk: &MetricThresholdPatch{SustainedHeartbeats: i(3)}},
			updated: []string{"disk.sustained_seconds"},
			check: func(t *testing.T, got Thresholds) {
				if got.Disk.SustainedSeconds != 180 {
					t.Errorf("disk sustained = %d", got.Disk.SustainedSeconds)
				}
			}},
		{name: "heartbeats above 10", patch: ThresholdsPatch{Disk: &MetricThresholdPatch{SustainedHeartbeats: i(11)}}, field: "disk.sustained_heartbeats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := DefaultThresholds()
			got, updated, err := base.Apply(tt.patch)
			if tt.field != "" {
				var e *homelabcmd.Error
				if !homelabcmd.IsInvalid(err) || !asError(err, &e) || e.Field != tt.field {
					t.Fatalf("err = %v, want EINVALID on %s", err, tt.field)
				}
				if got != base {
					t.Error("a failed update changed the thresholds")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(updated) != len(tt.updated) {
				t.Fatalf("updated = %q, want %q", updated, tt.updated)
			}
			for i := range updated {
				if updated[i] != tt.updated[i] {
					t.Fatalf("updated = %q, want %q", updated, tt.updated)
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestOfflineSeverityIsConfigurable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Thresholds.OfflineSeverity = homelabcmd.SeverityHigh
	last := t0.Add(-time.Hour)
	_, tr := Offline(ServerSeen{Server: Server{ID: "a", Name: "a.lan"}, Status: "online", LastSeen: &last}, cfg, t0)
	if tr == nil || tr.Alert.Severity != homelabcmd.SeverityHigh {
		t.Fatalf("offline transition = %+v, want a high alert", tr)
	}
	if _, _, err := DefaultThresholds().Apply(ThresholdsPatch{OfflineSeverity: ptr("urgent")}); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
		t.Errorf("offline_severity urgent: %v", err)
	}
	got, updated, err := DefaultThresholds().Apply(ThresholdsPatch{OfflineSeverity: ptr("medium")})
	if err != nil || got.OfflineSeverity != "medium" || len(updated) != 1 || updated[0] != "offline_severity" {
		t.Errorf("offline_severity medium: %+v %v %v", got.OfflineSeverity, updated, err)
	}
}
