package alerting

import (
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// bootTolerance absorbs the jitter of "hub time minus uptime": a boot
// time that moved less than this is the same boot.
const bootTolerance = 30 * time.Second

// Reasons the agent gives for an unknown unit (agent/systemd).
const (
	reasonNotFound  = "unit not found"
	reasonNoSystemd = "systemd not available"
	keyBoot         = "boot"
)

// at is when the report was made, in the hub's time.
func (e *eval) at() time.Time {
	if e.in.At.IsZero() {
		return e.now
	}
	return e.in.At
}

// momentary records an event as an alert stored resolved at once; only its
// opening is notified (not while paused).
func (e *eval) momentary(a homelabcmd.Alert) {
	a.ServerID, a.Status, a.CreatedAt, a.UpdatedAt = e.in.Server.ID, homelabcmd.AlertOpen, e.now, e.now
	a.Severity, a.Title = homelabcmd.SeverityLow, clip(a.Title, 255)
	zero := 0.0
	a.ThresholdValue, a.ActualValue = &zero, &zero
	if !e.in.Server.Paused {
		a.NotifiedAt = ptr(e.now)
	}
	e.out.Transitions = append(e.out.Transitions, Transition{Kind: Opened, Alert: a, Notify: !e.in.Server.Paused, Momentary: true})
}

// boot records a reboot when the host's uptime went back: its boot time,
// in the hub's time, moved later. The first report only remembers it.
func (e *eval) boot(uptime int64) {
	booted := e.at().Add(-time.Duration(uptime) * time.Second)
	st := e.state(keyBoot)
	prev := st.BootedAt
	if prev != nil && booted.Sub(*prev).Abs() < bootTolerance {
		return // the same boot: nothing to write
	}
	st.BootedAt = &booted
	e.states[keyBoot] = st
	if prev == nil || booted.Before(*prev) {
		return
	}
	t := render(homelabcmd.AlertReboot, "", "server", e.in.Server.Name, "uptime", roundDuration(time.Duration(uptime)*time.Second))
	e.momentary(homelabcmd.Alert{AlertType: homelabcmd.AlertReboot, Title: t.title, Message: ptr(t.message)})
}

// replayed remembers a service seen down only in replayed heartbeats and,
// when it is seen running again with no alert open, records that outage
// once (unless switched off). A live report of it down clears the memory:
// the usual alert covers it.
func (e *eval) replayed(exp homelabcmd.ExpectedService, r homelabcmd.ServiceReport, a *homelabcmd.Alert, st *State) {
	switch {
	case r.Status.IsDown() && !e.stale:
		st.ReplayDownSince = nil
	case r.Status.IsDown() && a == nil && st.ReplayDownSince == nil:
		st.ReplayDownSince = ptr(e.at())
	case r.Status == homelabcmd.StatusRunning && st.ReplayDownSince != nil:
		since := *st.ReplayDownSince
		st.ReplayDownSince = nil
		if a != nil || !e.cfg.Thresholds.ReplayedOutages {
			return
		}
		t := render(homelabcmd.AlertReplayed, "", "service", exp.ServiceName, "server", e.in.Server.Name,
			"status", "down", "duration", roundDuration(e.at().Sub(since)))
		e.momentary(homelabcmd.Alert{AlertType: homelabcmd.AlertReplayed, ServiceName: ptr(exp.ServiceName), Title: t.title, Message: ptr(t.message)})
	}
}

// unit alerts on an expected unit the agent reports as not found for
// UnknownAfter heartbeats in a row (a typo, or the package is gone), and
// resolves it once the unit is found.
func (e *eval) unit(exp homelabcmd.ExpectedService, r homelabcmd.ServiceReport) {
	key := homelabcmd.AlertUnit + ":" + exp.ServiceName
	st, known := e.in.States[key]
	if !known {
		st = State{Key: key}
	}
	a := e.in.Alerts[key]
	notFound := r.Status == homelabcmd.StatusUnknown && r.StatusReason != nil && *r.StatusReason == reasonNotFound
	if !notFound {
		if a != nil {
			e.resolve(a, nil, nil)
		}
		if known && (st.UnknownCount != 0 || st.LastNotifiedAt != nil) {
			st.UnknownCount, st.LastNotifiedAt = 0, nil
			e.states[key] = st
		}
		return
	}
	if a == nil || st.UnknownCount < e.cfg.UnknownAfter {
		st.UnknownCount++ // counting on while it is open would only rewrite the state
	}
	if a == nil && !e.stale && e.cfg.UnknownAfter > 0 && st.UnknownCount >= e.cfg.UnknownAfter {
		t := render(homelabcmd.AlertUnit, "", "service", exp.ServiceName, "server", e.in.Server.Name, "count", strconv.Itoa(st.UnknownCount))
		e.open(homelabcmd.Alert{AlertType: homelabcmd.AlertUnit, Severity: homelabcmd.SeverityMedium, ServiceName: ptr(exp.ServiceName),
			Title: t.title, Message: ptr(t.message), ThresholdValue: ptr(float64(e.cfg.UnknownAfter)), ActualValue: ptr(float64(st.UnknownCount))}, &st)
	}
	e.states[key] = st
}

// systemd raises one alert per server, not one per service, when every
// enabled expected service it reported is unknown because systemd cannot
// be reached, for UnknownAfter heartbeats in a row; any other report of one
// of them resolves it.
func (e *eval) systemd(expected []homelabcmd.ExpectedService, reported map[string]homelabcmd.ServiceReport) {
	seen, unreachable, reason := 0, 0, ""
	for _, exp := range expected {
		r, ok := reported[exp.ServiceName]
		if !exp.Enabled || !ok {
			continue
		}
		seen++
		if r.Status == homelabcmd.StatusUnknown && r.StatusReason != nil && strings.HasPrefix(*r.StatusReason, reasonNoSystemd) {
			unreachable++
			reason = *r.StatusReason
		}
	}
	if seen == 0 {
		return
	}
	key := homelabcmd.AlertSystemd
	st, known := e.in.States[key]
	if !known {
		st = State{Key: key}
	}
	a := e.in.Alerts[key]
	if unreachable < seen {
		if a != nil {
			e.resolve(a, nil, nil)
		}
		if known && (st.UnknownCount != 0 || st.LastNotifiedAt != nil) {
			st.UnknownCount, st.LastNotifiedAt = 0, nil
			e.states[key] = st
		}
		return
	}
	if a == nil || st.UnknownCount < e.cfg.UnknownAfter {
		st.UnknownCount++ // counting on while it is open would only rewrite the state
	}
	if a == nil && !e.stale && e.cfg.UnknownAfter > 0 && st.UnknownCount >= e.cfg.UnknownAfter {
		t := render(homelabcmd.AlertSystemd, "", "server", e.in.Server.Name, "reason", reason)
		e.open(homelabcmd.Alert{AlertType: homelabcmd.AlertSystemd, Severity: homelabcmd.SeverityHigh, Title: t.title, Message: ptr(t.message),
			ThresholdValue: ptr(float64(e.cfg.UnknownAfter)), ActualValue: ptr(float64(st.UnknownCount))}, &st)
	}
	e.states[key] = st
}

// roundDuration writes d to the second ("20s", "1h2m3s").
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return "under a second"
	}
	return d.Round(time.Second).String()
}
