package alerting

import (
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// securityUpdates remembers since when a server has reported pending
// security updates (its state's FirstBreachAt, hub time) and opens a
// medium alert once that has lasted Thresholds.SecurityUpdatesDays (0:
// off). The alert resolves when the count drops to 0, or when the rule is
// switched off.
func (e *eval) securityUpdates(n int) {
	key := homelabcmd.AlertSecurityUpdates
	st := e.state(key)
	a := e.in.Alerts[key]
	days := e.cfg.Thresholds.SecurityUpdatesDays
	if n <= 0 {
		if a != nil {
			e.resolve(a, ptr(0.0), st.FirstBreachAt)
		}
		if st.FirstBreachAt != nil || st.LastNotifiedAt != nil {
			st.FirstBreachAt, st.LastNotifiedAt = nil, nil
			e.states[key] = st
		}
		return
	}
	if st.FirstBreachAt == nil {
		st.FirstBreachAt = ptr(e.at())
		e.states[key] = st
	}
	if days <= 0 {
		if a != nil {
			e.resolve(a, ptr(float64(n)), st.FirstBreachAt)
		}
		return
	}
	if a == nil && !e.stale && e.now.Sub(*st.FirstBreachAt) >= time.Duration(days)*24*time.Hour {
		t := render(key, "", "server", e.in.Server.Name, "days", strconv.Itoa(days), "count", strconv.Itoa(n))
		e.open(homelabcmd.Alert{AlertType: key, Severity: homelabcmd.SeverityMedium, Title: t.title, Message: ptr(t.message),
			ThresholdValue: ptr(float64(days)), ActualValue: ptr(float64(n))}, &st)
		e.states[key] = st
	}
}
