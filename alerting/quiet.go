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
