package alerting

import (
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// ServerSeen is a server as the offline check sees it.
type ServerSeen struct {
	Server
	Status   string
	LastSeen *time.Time
	// OfflineAlert is the server's unresolved offline alert, if any.
	OfflineAlert *homelabcmd.Alert
}

// Offline decides whether a server has gone offline: it was online and its
// last heartbeat is more than the offline timeout ago (exactly the timeout
// is still online). A workstation goes offline without an alert; a server
// opens an alert (critical by default) unless one is open already.
func Offline(s ServerSeen, cfg Config, now time.Time) (goesOffline bool, tr *Transition) {
	if s.Status != homelabcmd.ServerOnline || s.LastSeen == nil || now.Sub(*s.LastSeen) <= cfg.OfflineTimeout() {
		return false, nil
	}
	if s.MachineType == homelabcmd.MachineWorkstation || s.OfflineAlert != nil {
		return true, nil
	}
	t := offlineText(s.Name)
	zero := 0.0
	var notified *time.Time
	if !s.Paused {
		notified = &now
	}
	return true, &Transition{Kind: Opened, Notify: !s.Paused, Alert: homelabcmd.Alert{NotifiedAt: notified,
		ServerID: s.ID, AlertType: homelabcmd.AlertOffline, Severity: cfg.Thresholds.OfflineSeverity, Status: homelabcmd.AlertOpen,
		Title: clip(t.title, 255), Message: ptr(t.message), ThresholdValue: &zero, ActualValue: &zero, CreatedAt: now, UpdatedAt: now,
	}}
}

// Remind returns a reminder when a is open (not acknowledged, not resolved),
// its server is not paused, and the reminder interval of its severity has
// passed since it was last notified (or opened).
func Remind(a *homelabcmd.Alert, lastNotified *time.Time, paused bool, cfg Config, now time.Time) (Transition, bool) {
	if a.Status != homelabcmd.AlertOpen || paused {
		return Transition{}, false
	}
	every := cfg.ReminderInterval(a.Severity)
	if every <= 0 {
		return Transition{}, false
	}
	last := a.CreatedAt
	if lastNotified != nil && lastNotified.After(last) {
		last = *lastNotified
	}
	if now.Sub(last) < every {
		return Transition{}, false
	}
	return Transition{Kind: Reminder, Alert: *a, Notify: true}, true
}
