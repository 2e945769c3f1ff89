package alerting

import (
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Drift decides the configuration-drift alert of a server after a pack
// check: open one (medium) when items do not comply and none is open,
// resolve the open one when all comply. items names the mismatches.
func Drift(s homelabcmd.ServerRef, open *homelabcmd.Alert, mismatches int, items string, now time.Time) *Transition {
	switch {
	case mismatches > 0 && open == nil:
		k, _ := homelabcmd.LookupAlertKind(homelabcmd.AlertDrift)
		title, msg := k.Text("").Render("server", s.Name, "count", strconv.Itoa(mismatches), "items", items)
		var notified *time.Time
		if !s.Paused {
			notified = &now
		}
		n := float64(mismatches)
		return &Transition{Kind: Opened, Notify: !s.Paused, Alert: homelabcmd.Alert{NotifiedAt: notified,
			ServerID: s.ID, AlertType: homelabcmd.AlertDrift, Severity: homelabcmd.SeverityMedium, Status: homelabcmd.AlertOpen,
			Title: clip(title, 255), Message: ptr(clip(msg, 2000)), ActualValue: &n, CreatedAt: now, UpdatedAt: now}}
	case mismatches == 0 && open != nil:
		r := *open
		zero := 0.0
		r.Status, r.ResolvedAt, r.UpdatedAt, r.AutoResolved, r.ActualValue = homelabcmd.AlertResolved, ptr(now), now, true, &zero
		return &Transition{Kind: Resolved, Alert: r, Notify: !s.Paused && open.NotifiedAt != nil, Since: ptr(open.CreatedAt)}
	}
	return nil
}
