package alerting

import (
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Kind is what happened to an alert.
type Kind string

// The transitions. Each one may notify.
const (
	Opened    Kind = "opened"
	Escalated Kind = "escalated"
	Reminder  Kind = "reminder"
	Resolved  Kind = "resolved"
	// Flapping says once that an open service alert's service keeps
	// changing state; the alert stays open until it is calm.
	Flapping Kind = "flapping"
)

// Transition is one change the caller must store: for Opened a new alert
// (ID 0), otherwise the stored alert with its new fields.
type Transition struct {
	Kind  Kind
	Alert homelabcmd.Alert
	// Notify is false for a paused (maintenance) server: the change is
	// recorded but nobody is told.
	Notify bool
	// Since is when the condition began, for a resolved alert's duration.
	Since *time.Time
	// Momentary marks an event, not a condition (a reboot, an outage seen
	// only in replayed heartbeats): it is stored resolved at once and only
	// its opening is notified.
	Momentary bool
	// NotBefore holds the notification until then (the end of the
	// maintenance window it happened in); nil sends it now.
	NotBefore *time.Time
	// Note explains an unusual notification ("opened while … was paused",
	// "the expected service was deleted"); "" for none.
	Note string
}

// State is what the rules remember per (server, key) between reports.
type State = homelabcmd.RuleState

// Server is what the rules need to know about the reporting server.
type Server = homelabcmd.ServerRef

// Input is one heartbeat with the server's stored alerting state.
type Input struct {
	Server  Server
	Metrics *homelabcmd.Metrics
	// Services is nil when the agent does not report services at all;
	// an empty, non-nil list means it reported none of them.
	Services []homelabcmd.ServiceReport
	// Containers are the containers as units (ContainerReport.Unit); nil
	// when the agent reports no container engine, so expected containers
	// are neither down nor missing then.
	Containers []homelabcmd.ServiceReport
	// Replay is true for a heartbeat the agent kept while the hub could not
	// hear it (see Clock); it opens nothing, but resolutions still go out.
	Replay bool
	// At is when the report was made in the hub's time (for a replay, its
	// timestamp corrected by the agent's clock offset); zero means now.
	At time.Time
	// Expected are the server's expected units of every kind, enabled or not.
	Expected []homelabcmd.ExpectedService
	// Unwatched: the agent does not watch the expected list (it lacks
	// homelabcmd.CapExpectedServices, as the original's agents do), so an
	// expected service it does not report is not monitored, not missing.
	Unwatched bool
	States    map[string]State
	// Alerts are the unresolved alerts of the server by dedup key.
	Alerts map[string]*homelabcmd.Alert
	// SecurityUpdates is the heartbeat's count of pending security updates;
	// nil when it carries none.
	SecurityUpdates *int
	// HubRestarts are restarts the hub delivered within the grace period,
	// by service name, at the time they were handed to the agent.
	HubRestarts map[string]time.Time
}

// Result is what a heartbeat changes.
type Result struct {
	Transitions []Transition
	// States are the states whose values changed, to be upserted.
	States []State
}

type eval struct {
	in     Input
	cfg    Config
	now    time.Time
	stale  bool
	out    Result
	states map[string]State
}

// Evaluate applies every heartbeat rule: the offline alert resolves, metric
// thresholds open, escalate and resolve, and enabled expected services open
// service-down or missing alerts and resolve them. now is the hub's time,
// never the agent's. While the report is a replay (the server was offline)
// nothing opens but resolutions still go out.
func Evaluate(in Input, cfg Config, now time.Time) Result {
	e := &eval{in: in, cfg: cfg, now: now, states: map[string]State{}}
	e.stale = in.Replay
	if a := in.Alerts[homelabcmd.AlertOffline]; a != nil {
		e.resolve(a, nil, nil)
	}
	if m := in.Metrics; m != nil {
		for _, k := range metricKinds() {
			e.metric(k, k.Metric.Value(m))
		}
		if m.UptimeSeconds != nil {
			e.boot(*m.UptimeSeconds)
		}
	}
	if in.SecurityUpdates != nil {
		e.securityUpdates(*in.SecurityUpdates)
	}
	if in.Services != nil {
		e.units(homelabcmd.KindSystemd, in.Services)
	}
	if in.Containers != nil {
		e.units(homelabcmd.KindContainer, in.Containers)
	}
	for k, st := range e.states {
		if old, ok := in.States[k]; !ok || !old.Equal(st) {
			e.out.States = append(e.out.States, st)
		}
	}
	sortStates(e.out.States)
	return e.out
}

func (e *eval) state(key string) State {
	if st, ok := e.states[key]; ok {
		return st
	}
	st, ok := e.in.States[key]
	if !ok {
		st = State{Key: key}
	}
	return st
}

func (e *eval) open(a homelabcmd.Alert, st *State) {
	a.ServerID, a.Status, a.CreatedAt, a.UpdatedAt = e.in.Server.ID, homelabcmd.AlertOpen, e.now, e.now
	a.Title = clip(a.Title, 255)
	st.LastNotifiedAt = ptr(e.now)
	if !e.in.Server.Paused {
		a.NotifiedAt = ptr(e.now)
	}
	e.out.Transitions = append(e.out.Transitions, Transition{Kind: Opened, Alert: a, Notify: !e.in.Server.Paused})
}

// resolve auto-resolves a, acknowledged or not. actual is the value that
// ended it, if any. It is notified only if its opening was.
func (e *eval) resolve(a *homelabcmd.Alert, actual *float64, since *time.Time) {
	e.out.Transitions = append(e.out.Transitions, autoResolved(e.in.Server, a, actual, since, e.now))
}

// autoResolved is the transition of an alert whose condition ended: it is
// notified only if its opening was and the server is not paused.
func autoResolved(server Server, a *homelabcmd.Alert, actual *float64, since *time.Time, now time.Time) Transition {
	r := *a
	r.Status, r.ResolvedAt, r.UpdatedAt, r.AutoResolved = homelabcmd.AlertResolved, ptr(now), now, true
	if actual != nil {
		r.ActualValue = actual
	}
	if since == nil {
		since = ptr(a.CreatedAt)
	}
	return Transition{Kind: Resolved, Alert: r, Notify: !server.Paused && a.NotifiedAt != nil, Since: since}
}

// metric applies one host metric's thresholds (contract §6.2–6.3).
func (e *eval) metric(k homelabcmd.AlertKind, v *float64) {
	if v == nil {
		return
	}
	typ := k.Name
	th := e.cfg.Thresholds.Metric(typ)
	st := e.state(typ)
	a := e.in.Alerts[typ]
	sev, limit := "", 0
	switch {
	case *v >= float64(th.CriticalPercent):
		sev, limit = homelabcmd.SeverityCritical, th.CriticalPercent
	case *v >= float64(th.HighPercent):
		sev, limit = homelabcmd.SeverityHigh, th.HighPercent
	}
	if sev == "" {
		if a != nil {
			e.resolve(a, v, st.FirstBreachAt)
		}
		st.FirstBreachAt, st.LastNotifiedAt = nil, nil
		e.states[typ] = st
		return
	}
	if st.FirstBreachAt == nil {
		st.FirstBreachAt = ptr(e.now)
	}
	threshold := float64(limit)
	switch {
	case a == nil:
		if !e.stale && e.now.Sub(*st.FirstBreachAt) >= time.Duration(th.SustainedSeconds)*time.Second {
			t := metricText(typ, sev, *v, limit, e.in.Server.Name)
			e.open(homelabcmd.Alert{AlertType: typ, Severity: sev, Title: t.title,
				Message: ptr(t.message), ThresholdValue: &threshold, ActualValue: v}, &st)
		}
	case a.Severity == homelabcmd.SeverityHigh && sev == homelabcmd.SeverityCritical:
		esc := *a
		t := metricText(typ, sev, *v, limit, e.in.Server.Name)
		esc.Severity, esc.ThresholdValue, esc.ActualValue, esc.UpdatedAt = sev, &threshold, v, e.now
		esc.Title, esc.Message = clip(t.title, 255), ptr(t.message)
		st.LastNotifiedAt = ptr(e.now)
		e.out.Transitions = append(e.out.Transitions, Transition{Kind: Escalated, Alert: esc, Notify: !e.in.Server.Paused})
	}
	e.states[typ] = st
}

// units applies the down, missing and restart-grace rules to every enabled
// expected unit of kind, from the reports of that kind. The unit-not-found
// and systemd-unreachable rules are systemd's own.
func (e *eval) units(kind homelabcmd.UnitKind, reports []homelabcmd.ServiceReport) {
	reported := make(map[string]homelabcmd.ServiceReport, len(reports))
	for _, r := range reports {
		reported[r.Name] = r
	}
	var expected []homelabcmd.ExpectedService
	for _, exp := range e.in.Expected {
		if exp.Kind == kind || exp.Kind == "" && kind == homelabcmd.KindSystemd {
			exp.Kind = kind
			expected = append(expected, exp)
		}
	}
	for _, exp := range expected {
		if !exp.Enabled {
			continue
		}
		key := kind.DownAlert() + ":" + exp.ServiceName
		st := e.state(key)
		a := e.in.Alerts[key]
		r, ok := reported[exp.ServiceName]
		if !ok && e.in.Unwatched {
			continue
		}
		if !ok {
			st.MissingCount++
			if a == nil && !e.stale && e.cfg.MissingAfter > 0 && st.MissingCount >= e.cfg.MissingAfter {
				e.open(serviceAlert(exp, e.in.Server.Name, unitMissingText(kind, exp.ServiceName, e.in.Server.Name, st.MissingCount)), &st)
			}
			e.states[key] = st
			continue
		}
		st.MissingCount = 0
		prevRestarts := st.Restarts
		e.grace(&st, r)
		if kind == homelabcmd.KindSystemd {
			e.unit(exp, r)
		}
		e.replayed(exp, r, a, &st)
		e.crashLoop(exp, r, prevRestarts)
		if e.flap(&st, r) && a != nil {
			e.flapping(exp, a, &st)
		}
		switch {
		case r.Status == homelabcmd.StatusRunning:
			if a != nil {
				e.recovered(a, &st)
			} else if e.calm(&st) {
				st.FlappingSince = nil
			}
			st.GraceUntil, st.LastNotifiedAt = nil, nil
		case r.Status.IsDown():
			st.RecoveredAt = nil
			if a != nil {
				if e.calm(&st) {
					st.FlappingSince = nil // stably down: the open alert says so
				}
				e.learnOOM(exp, r, a)
				break
			}
			if e.stale || st.GraceUntil != nil && e.now.Before(*st.GraceUntil) {
				break // a replay, or restarting: give it until the grace period ends
			}
			status := string(r.Status)
			if kind == homelabcmd.KindContainer && r.StatusReason != nil {
				status += " (" + *r.StatusReason + ")" // exited with code 137, OOM-killed
			}
			text := unitDownText(kind, exp.ServiceName, e.in.Server.Name, status)
			if st.GraceUntil != nil {
				text = unitFailedRestartText(kind, exp.ServiceName, e.in.Server.Name, status, e.cfg.RestartGrace)
				st.GraceUntil = nil
			}
			e.open(serviceAlert(exp, e.in.Server.Name, text), &st)
		}
		e.states[key] = st
	}
	if kind == homelabcmd.KindSystemd {
		e.systemd(expected, reported)
	}
}

// grace starts a restart grace period when the hub delivered a restart or
// the unit's restart count rose. A rise starts one only when the unit has
// run since the last one, so a crash loop still alerts once the first grace
// period ends; a newer restart through the hub always gets its own.
func (e *eval) grace(st *State, r homelabcmd.ServiceReport) {
	if r.Restarts != nil {
		if st.Restarts != nil && *r.Restarts > *st.Restarts && st.GraceUntil == nil {
			st.GraceUntil = ptr(e.now.Add(e.cfg.RestartGrace))
		}
		st.Restarts = ptr(*r.Restarts)
	}
	if at, ok := e.in.HubRestarts[r.Name]; ok {
		if end := at.Add(e.cfg.RestartGrace); e.now.Before(end) && (st.GraceUntil == nil || end.After(*st.GraceUntil)) {
			st.GraceUntil = ptr(end)
		}
	}
}

// learnOOM rewrites the open alert of a container reported OOM-killed
// after it opened without saying so (Docker may flag the kill only after
// the die event the alert opened on): recorded, not notified again.
func (e *eval) learnOOM(exp homelabcmd.ExpectedService, r homelabcmd.ServiceReport, a *homelabcmd.Alert) {
	const oom = "OOM-killed"
	if exp.Kind != homelabcmd.KindContainer || r.StatusReason == nil || !strings.Contains(*r.StatusReason, oom) ||
		a.Message != nil && strings.Contains(*a.Message, oom) {
		return
	}
	t := unitDownText(exp.Kind, exp.ServiceName, e.in.Server.Name, string(r.Status)+" ("+*r.StatusReason+")")
	u := *a
	u.Title, u.Message, u.UpdatedAt = t.title, ptr(t.message), e.now
	e.out.Transitions = append(e.out.Transitions, Transition{Kind: Escalated, Alert: u})
}

func serviceAlert(exp homelabcmd.ExpectedService, server string, t text) homelabcmd.Alert {
	sev := homelabcmd.SeverityMedium
	if exp.IsCritical {
		sev = homelabcmd.SeverityHigh
	}
	zero := 0.0
	return homelabcmd.Alert{AlertType: exp.Kind.DownAlert(), Severity: sev, Title: t.title, Message: ptr(t.message),
		ServiceName: ptr(exp.ServiceName), ThresholdValue: &zero, ActualValue: &zero}
}
