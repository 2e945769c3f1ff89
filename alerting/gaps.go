package alerting

import (
	"slices"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Unpaused returns what a server leaving maintenance owes its channels:
// every alert still open (not acknowledged) whose opening was held back
// while it was paused goes out now, once, marked as such. The transitions
// are Opened with the stored alert's ID (nothing new is stored), by ID.
func Unpaused(server Server, alerts map[string]*homelabcmd.Alert, now time.Time) []Transition {
	return Released(server, alerts, now, "Opened while "+server.Name+" was paused (maintenance) and still open.")
}

// WindowEnded is Unpaused for a maintenance window (quiet hours) ending.
func WindowEnded(server Server, alerts map[string]*homelabcmd.Alert, now time.Time) []Transition {
	return Released(server, alerts, now, "Opened during a maintenance window on "+server.Name+" and still open.")
}

// Released returns an Opened transition, with note, for every open alert
// whose opening was held back, by ID.
func Released(server Server, alerts map[string]*homelabcmd.Alert, now time.Time, note string) []Transition {
	var out []Transition
	for _, a := range alerts {
		if a.Status != homelabcmd.AlertOpen || a.NotifiedAt != nil {
			continue
		}
		n := *a
		n.NotifiedAt = &now
		out = append(out, Transition{Kind: Opened, Alert: n, Notify: true, Note: note})
	}
	slices.SortFunc(out, func(a, b Transition) int { return int(a.Alert.ID - b.Alert.ID) })
	return out
}

// Reasons a service alert resolves without its rule.
const (
	ReasonServiceDeleted  = "expected service deleted"
	ReasonServiceDisabled = "expected service disabled"
)

// Withdrawn resolves an alert whose expectation went away (the expected
// service was deleted or disabled), with the reason recorded. It is
// notified only if its opening was and the server is not paused.
func Withdrawn(server Server, a *homelabcmd.Alert, reason string, now time.Time) Transition {
	r := *a
	r.Status, r.ResolvedAt, r.UpdatedAt, r.AutoResolved, r.ResolutionReason = homelabcmd.AlertResolved, &now, now, true, &reason
	return Transition{Kind: Resolved, Alert: r, Notify: !server.Paused && a.NotifiedAt != nil, Since: ptr(a.CreatedAt), Note: "Reason: " + reason + "."}
}
