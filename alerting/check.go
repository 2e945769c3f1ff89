package alerting

import (
	"fmt"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Reasons a check's alert resolves without recovering.
const (
	ReasonCheckDeleted  = "check deleted"
	ReasonCheckDisabled = "check disabled"
	ReasonCheckRenamed  = "check renamed"
)

// CheckStaleAfter is how long an agent's last result of a check counts
// toward its quorum: three intervals, at least three minutes (an agent
// that stopped reporting, or no longer runs it, drops out).
func CheckStaleAfter(c homelabcmd.Check) time.Duration {
	return max(3*time.Duration(c.IntervalSeconds)*time.Second, 3*time.Minute)
}

// CheckVerdict is a check's state across the agents that report it.
type CheckVerdict struct {
	// State is up, warn, down, or pending when no agent counts.
	State string
	// Counted agents reported recently; Failing are those at State (down
	// or warn) among them; Quorum is how many had to fail.
	Counted int
	Failing []homelabcmd.CheckAgentStatus
	Quorum  int
}

// Quorum decides a check's state: down when at least its quorum (0: every
// counted agent; never more than are counted) of the agents that reported
// it recently are down, warn when that many are down or warn, up otherwise.
func Quorum(c homelabcmd.Check, agents []homelabcmd.CheckAgentStatus, now time.Time) CheckVerdict {
	var counted int
	var down, bad []homelabcmd.CheckAgentStatus
	for _, a := range agents {
		if a.Status == "pending" || now.Sub(a.CheckedAt) > CheckStaleAfter(c) {
			continue
		}
		counted++
		switch a.Status {
		case homelabcmd.CheckDown:
			down = append(down, a)
			bad = append(bad, a)
		case homelabcmd.CheckWarn:
			bad = append(bad, a)
		}
	}
	v := CheckVerdict{State: "pending", Counted: counted, Quorum: c.Quorum}
	if counted == 0 {
		return v
	}
	if v.Quorum == 0 || v.Quorum > counted {
		v.Quorum = counted
	}
	switch {
	case len(down) >= v.Quorum:
		v.State, v.Failing = homelabcmd.CheckDown, down
	case len(bad) >= v.Quorum:
		v.State, v.Failing = homelabcmd.CheckWarn, bad
	default:
		v.State = homelabcmd.CheckUp
	}
	return v
}

// CheckInput is one change of a check's per-agent statuses.
type CheckInput struct {
	// Server is the reporting server: a new alert is filed under it, and
	// its pause or maintenance window hushes the notifications.
	Server Server
	Check  homelabcmd.Check
	Agents []homelabcmd.CheckAgentStatus
	// Alert is the check's unresolved alert (on whichever server); nil
	// when none.
	Alert *homelabcmd.Alert
	State State
	// Replay: the results came in a replayed heartbeat; nothing opens.
	Replay bool
}

// EvaluateCheck applies the check rule: an alert opens when the quorum
// fails (critical for a critical check, else high; medium for a
// certificate about to expire), escalates from warn to down, and resolves
// when the quorum no longer fails, with the services' flap control and
// recovery hold. It returns the transitions and the rule state.
func EvaluateCheck(in CheckInput, cfg Config, now time.Time) ([]Transition, State) {
	e := &eval{in: Input{Server: in.Server}, cfg: cfg, now: now, stale: in.Replay, states: map[string]State{}}
	st := in.State
	st.Key = homelabcmd.AlertCheck + ":" + in.Check.Name
	v := Quorum(in.Check, in.Agents, now)
	a := in.Alert
	if v.State == "pending" {
		return nil, st
	}
	report := homelabcmd.ServiceReport{Status: homelabcmd.StatusRunning}
	if v.State != homelabcmd.CheckUp {
		report.Status = homelabcmd.StatusFailed
	}
	if e.flap(&st, report) && a != nil {
		e.flapping(homelabcmd.ExpectedService{ServiceName: "check " + in.Check.Name}, a, &st)
	}
	switch {
	case v.State == homelabcmd.CheckUp:
		if a != nil {
			e.recovered(a, &st)
		} else if e.calm(&st) {
			st.FlappingSince = nil
		}
	case a == nil:
		st.RecoveredAt = nil
		if !e.stale {
			e.open(checkAlert(in.Check, v), &st)
		}
	default:
		st.RecoveredAt = nil
		if sev := checkSeverity(in.Check, v.State); severityRank(sev) > severityRank(a.Severity) {
			esc := *a
			n := checkAlert(in.Check, v)
			esc.Severity, esc.Title, esc.Message, esc.ActualValue, esc.UpdatedAt = sev, clip(n.Title, 255), n.Message, n.ActualValue, now
			st.LastNotifiedAt = ptr(now)
			e.out.Transitions = append(e.out.Transitions, Transition{Kind: Escalated, Alert: esc, Notify: !in.Server.Paused})
		} else if e.calm(&st) {
			st.FlappingSince = nil
		}
	}
	return e.out.Transitions, st
}

func checkSeverity(c homelabcmd.Check, state string) string {
	switch {
	case state == homelabcmd.CheckWarn:
		return homelabcmd.SeverityMedium
	case c.Critical:
		return homelabcmd.SeverityCritical
	}
	return homelabcmd.SeverityHigh
}

func severityRank(s string) int {
	switch s {
	case homelabcmd.SeverityCritical:
		return 4
	case homelabcmd.SeverityHigh:
		return 3
	case homelabcmd.SeverityMedium:
		return 2
	}
	return 1
}

// checkAlert is the alert of a failing check; its values are how many
// agents fail (actual) of how many had to (threshold).
func checkAlert(c homelabcmd.Check, v CheckVerdict) homelabcmd.Alert {
	names := make([]string, 0, len(v.Failing))
	reason := ""
	for _, a := range v.Failing {
		names = append(names, a.ServerName)
		if reason == "" && a.Error != nil {
			reason = *a.Error
		}
	}
	from := strings.Join(names, ", ")
	if v.Counted > 1 {
		from = fmt.Sprintf("%d of %d agents: %s", len(v.Failing), v.Counted, from)
	}
	if reason == "" {
		reason = "no detail"
	}
	cause, status := "", "down"
	if v.State == homelabcmd.CheckWarn {
		cause, status = homelabcmd.CheckWarn, "expiring"
	}
	t := render(homelabcmd.AlertCheck, cause, "service", c.Name, "status", status, "count", from, "reason", reason)
	return homelabcmd.Alert{AlertType: homelabcmd.AlertCheck, Severity: checkSeverity(c, v.State), ServiceName: ptr(c.Name),
		Title: t.title, Message: ptr(t.message), ThresholdValue: ptr(float64(v.Quorum)), ActualValue: ptr(float64(len(v.Failing)))}
}
