package alerting

import (
	"fmt"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// shortOutage: a service alert younger than this resolves only after the
// recovery hold, so a quick flap stays one alert.
const shortOutage = time.Minute

// maxEvents bounds the remembered changes and restart rises per key.
const maxEvents = 64

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// since drops the times before cut, keeping the newest keep of them.
func since(ts []time.Time, cut time.Time, keep int) []time.Time {
	i := 0
	for i < len(ts)-keep && ts[i].Before(cut) {
		i++
	}
	out := ts[i:]
	if len(out) > maxEvents {
		out = out[len(out)-maxEvents:]
	}
	return out
}

// flap records an up/down change of a service and reports whether it just
// began flapping: Flapping.Changes changes within the window.
func (e *eval) flap(st *State, r homelabcmd.ServiceReport) bool {
	f := e.cfg.Thresholds.Flapping
	var now string
	switch {
	case r.Status == homelabcmd.StatusRunning:
		now = "up"
	case r.Status.IsDown():
		now = "down"
	default:
		return false
	}
	// The newest change is always kept: calm is measured from it.
	st.Events = since(st.Events, e.at().Add(-seconds(f.WindowSeconds)), 1)
	if st.LastStatus != "" && st.LastStatus != now {
		st.Events = since(append(st.Events, e.at()), time.Time{}, 0)
	}
	st.LastStatus = now
	if st.FlappingSince != nil || f.Changes <= 0 {
		return false
	}
	n := 0
	for _, t := range st.Events {
		if !t.Before(e.at().Add(-seconds(f.WindowSeconds))) {
			n++
		}
	}
	if n < f.Changes {
		return false
	}
	st.FlappingSince = ptr(e.at())
	return true
}

// calm reports whether a flapping service has not changed state for
// Flapping.StableSeconds.
func (e *eval) calm(st *State) bool {
	if st.FlappingSince == nil {
		return false
	}
	return len(st.Events) == 0 || e.at().Sub(st.Events[len(st.Events)-1]) >= seconds(e.cfg.Thresholds.Flapping.StableSeconds)
}

// flapping notifies once that the service of open alert a is flapping.
func (e *eval) flapping(exp homelabcmd.ExpectedService, a *homelabcmd.Alert, st *State) {
	f := e.cfg.Thresholds.Flapping
	note := fmt.Sprintf("%s on %s is flapping: %d state changes within %s. No more notifications about it until it has been stable for %s.",
		exp.ServiceName, e.in.Server.Name, len(st.Events), seconds(f.WindowSeconds), seconds(f.StableSeconds))
	st.LastNotifiedAt = ptr(e.now)
	e.out.Transitions = append(e.out.Transitions, Transition{Kind: Flapping, Alert: *a, Note: note,
		Notify: !e.in.Server.Paused && a.NotifiedAt != nil})
}

// recovered resolves the open alert of a service reported running, unless
// it is flapping and not calm yet, or a short outage whose recovery has not
// held for the recovery hold. The hold spares the operator a "resolved"
// and a new "opened" per flap, so it applies only to an alert whose
// opening was notified: one recorded while paused or in a window resolves
// at once and is never told.
func (e *eval) recovered(a *homelabcmd.Alert, st *State) {
	hold := seconds(e.cfg.Thresholds.Flapping.RecoveryHoldSeconds)
	switch {
	case st.FlappingSince != nil:
		if !e.calm(st) {
			return
		}
		n := len(st.Events)
		st.FlappingSince, st.RecoveredAt = nil, nil
		e.resolve(a, nil, nil)
		e.out.Transitions[len(e.out.Transitions)-1].Note = "Stable again after flapping (" + strconv.Itoa(n) + " recent state changes)."
	case hold > 0 && a.NotifiedAt != nil && e.now.Sub(a.CreatedAt) < shortOutage && (st.RecoveredAt == nil || e.now.Sub(*st.RecoveredAt) < hold):
		if st.RecoveredAt == nil {
			st.RecoveredAt = ptr(e.now)
		}
	default:
		st.RecoveredAt = nil
		e.resolve(a, nil, nil)
	}
}

// RecoveryHeld resolves the alert of a service whose short outage has held
// its recovery for the recovery hold with no report since (the agent
// reports changes, not calm), so the "resolved" goes out when the hold
// ends rather than with the next periodic heartbeat. recoveredAt is the
// rule state's RecoveredAt; false while the hold lasts.
func RecoveryHeld(server Server, a *homelabcmd.Alert, recoveredAt time.Time, cfg Config, now time.Time) (Transition, bool) {
	if now.Sub(recoveredAt) < seconds(cfg.Thresholds.Flapping.RecoveryHoldSeconds) {
		return Transition{}, false
	}
	return autoResolved(server, a, nil, nil, now), true
}

// crashLoop alerts on a unit whose restart count rose CrashLoop.Restarts
// times within the window, whatever state it reports; it resolves after a
// window without a rise. prev is the restart count before this report.
func (e *eval) crashLoop(exp homelabcmd.ExpectedService, r homelabcmd.ServiceReport, prev *int) {
	c := e.cfg.Thresholds.CrashLoop
	key := homelabcmd.AlertCrashLoop + ":" + exp.ServiceName
	st, known := e.in.States[key]
	if !known {
		st = State{Key: key}
	}
	a := e.in.Alerts[key]
	before := len(st.Events)
	if r.Restarts != nil && prev != nil && *r.Restarts > *prev {
		for range min(*r.Restarts-*prev, maxEvents) {
			st.Events = append(st.Events, e.at())
		}
	}
	grew := len(st.Events) > before
	st.Events = since(st.Events, e.at().Add(-seconds(c.WindowSeconds)), 0)
	switch {
	case a == nil && !e.stale && c.Restarts > 0 && len(st.Events) >= c.Restarts:
		sev := homelabcmd.SeverityMedium
		if exp.IsCritical {
			sev = homelabcmd.SeverityHigh
		}
		t := render(homelabcmd.AlertCrashLoop, "", "service", exp.ServiceName, "server", e.in.Server.Name,
			"count", strconv.Itoa(len(st.Events)), "window", seconds(c.WindowSeconds).String())
		e.open(homelabcmd.Alert{AlertType: homelabcmd.AlertCrashLoop, Severity: sev, ServiceName: ptr(exp.ServiceName), Title: t.title,
			Message: ptr(t.message), ThresholdValue: ptr(float64(c.Restarts)), ActualValue: ptr(float64(len(st.Events)))}, &st)
	case a != nil && len(st.Events) == 0:
		e.resolve(a, nil, nil)
		st.LastNotifiedAt = nil
	}
	if grew || len(st.Events) != before || known && !st.Equal(e.in.States[key]) {
		e.states[key] = st
	}
}
