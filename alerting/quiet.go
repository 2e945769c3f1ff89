package alerting

import (
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// PageCritical lets the critical openings among trs notify although the
// server is quiet (a maintenance window that pages critical alerts), and
// escalations to critical and resolutions of critical alerts whose opening
// was notified; the rules ran with the server taken as paused. Other openings wait for the
// window's end (WindowEnded).
func PageCritical(trs []Transition, now time.Time) {
	for i := range trs {
		tr := &trs[i]
		if tr.Alert.Severity != homelabcmd.SeverityCritical || tr.Kind == Reminder || tr.Kind != Opened && tr.Alert.NotifiedAt == nil {
			continue
		}
		tr.Notify = true
		if tr.Kind == Opened && tr.Alert.NotifiedAt == nil {
			tr.Alert.NotifiedAt = &now
		}
	}
}

// ResolvedAfterWindow holds, until end (the maintenance window's end), the
// "resolved" of every alert among trs whose "opened" went out before the
// window: the operator who was told it broke is told it is fixed, after
// quiet hours rather than inside them. The rules ran with the server taken
// as paused.
func ResolvedAfterWindow(trs []Transition, end time.Time) {
	for i := range trs {
		tr := &trs[i]
		if tr.Kind != Resolved || tr.Notify || tr.Alert.NotifiedAt == nil {
			continue
		}
		tr.Notify, tr.NotBefore = true, &end
		if tr.Note == "" {
			tr.Note = "Resolved during a maintenance window; held until it ended."
		}
	}
}
