// Package alerting decides when alerts open, escalate, remind and resolve.
// Every rule is a pure function of the stored state, a report or a clock
// tick, the configuration and the time; the caller does all I/O.
package alerting

import (
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// MetricThreshold is the rule for one host metric. A value at or above
// HighPercent (CriticalPercent) for SustainedSeconds opens a high (critical)
// alert; a value below HighPercent resolves it.
type MetricThreshold struct {
	HighPercent     int `json:"high_percent"`
	CriticalPercent int `json:"critical_percent"`
	// SustainedSeconds is measured from the first breaching report; 0 fires
	// on the first one.
	SustainedSeconds int `json:"sustained_seconds"`
	// SustainedHeartbeats is the deprecated form: given with
	// SustainedSeconds 0 it becomes SustainedHeartbeats × 60 seconds.
	SustainedHeartbeats *int `json:"sustained_heartbeats"`
}

// Reminders are how often an open, unacknowledged alert is re-notified.
// Critical alerts use CriticalMinutes; every other severity HighMinutes.
type Reminders struct {
	CriticalMinutes int `json:"critical_minutes"`
	HighMinutes     int `json:"high_minutes"`
}

// Thresholds is the operator-editable rule configuration, stored as JSON
// (GET|PUT /api/v1/config/thresholds). Unlike the original, the hub honours
// ServerOfflineSeconds. Each metric kind of homelabcmd.AlertKinds has a
// field here whose JSON key is its ThresholdKey (see metricfields.go).
type Thresholds struct {
	CPU                  MetricThreshold `json:"cpu"`
	Memory               MetricThreshold `json:"memory"`
	Disk                 MetricThreshold `json:"disk"`
	ServerOfflineSeconds int             `json:"server_offline_seconds"`
	// OfflineSeverity is the severity of a server-offline alert.
	OfflineSeverity string `json:"offline_severity"`
	// ReplayedOutages: an outage seen only in heartbeats the agent kept
	// while the hub could not hear it is notified once (low severity).
	ReplayedOutages bool `json:"replayed_outages"`
	// GroupSeconds: alerts opening on one server within this long of a
	// notified opening go out together, as one notification at its end
	// (0: each at once).
	GroupSeconds int `json:"group_seconds"`
	// GroupWaitSeconds holds even the first opening of a quiet server this
	// long, so openings within it go out as one notification (0, the
	// default: the first goes at once, the ones after it are grouped).
	GroupWaitSeconds int `json:"group_wait_seconds"`
	// SecurityUpdatesDays opens a medium alert when a server's agent has
	// reported pending security updates for this many days (0, the
	// default: off); it resolves when they drop to 0.
	SecurityUpdatesDays int            `json:"security_updates_days"`
	Flapping            FlapThresholds `json:"flapping"`
	CrashLoop           CrashLoopRule  `json:"crash_loop"`
	Reminders           Reminders      `json:"reminders"`
}

// FlapThresholds is flap control for expected services, after Nagios's
// flap detection (hysteresis: a high mark to start, a calm period to stop),
// counting up/down changes in a time window instead of the percent state
// change over the last 21 checks, because heartbeats are not periodic
// checks (the agent reports each change at once).
type FlapThresholds struct {
	// Changes up/down changes within WindowSeconds make a service flapping:
	// one notification says so (with the count); no per-flap ones follow.
	Changes       int `json:"changes"`
	WindowSeconds int `json:"window_seconds"`
	// StableSeconds without a change ends flapping: its alert resolves
	// (notified once) if the service runs.
	StableSeconds int `json:"stable_seconds"`
	// RecoveryHoldSeconds: an outage shorter than a minute resolves only
	// once the service has run this long, so a quick flap stays one alert
	// (default 10 s; 0 resolves at once).
	RecoveryHoldSeconds int `json:"recovery_hold_seconds"`
}

// CrashLoopRule raises an alert when a unit's restart count (systemd
// NRestarts) rises Restarts times within WindowSeconds, even if every report
// says running; it resolves after a window without a rise.
type CrashLoopRule struct {
	Restarts      int `json:"restarts"`
	WindowSeconds int `json:"window_seconds"`
}

// DefaultThresholds returns each metric kind's defaults from the table of
// alert kinds (CPU and memory 85/95 % sustained 180 s, disk 80/95 % at
// once), offline after 180 s as a critical alert, flapping at 6 changes in
// 10 min until 5 min calm (a 10 s recovery hold), a crash
// loop at 5 restarts in 10 min, reminders every 30 min (critical) and 4 h
// (others).
func DefaultThresholds() Thresholds {
	t := Thresholds{ServerOfflineSeconds: 180, OfflineSeverity: homelabcmd.SeverityCritical, ReplayedOutages: true, GroupSeconds: 10,
		Flapping:  FlapThresholds{Changes: 6, WindowSeconds: 600, StableSeconds: 300, RecoveryHoldSeconds: 10},
		CrashLoop: CrashLoopRule{Restarts: 5, WindowSeconds: 600},
		Reminders: Reminders{CriticalMinutes: 30, HighMinutes: 240}}
	for _, k := range homelabcmd.AlertKinds() {
		if m := k.Metric; m != nil {
			*t.metric(k.ThresholdKey) = MetricThreshold{HighPercent: m.HighPercent, CriticalPercent: m.CriticalPercent, SustainedSeconds: m.SustainedSeconds}
		}
	}
	return t
}

// Metric returns the threshold of one metric alert type; the zero value
// for any other type.
func (t *Thresholds) Metric(alertType string) MetricThreshold {
	k, _ := homelabcmd.LookupAlertKind(alertType)
	if m := t.metric(k.ThresholdKey); m != nil {
		return *m
	}
	return MetricThreshold{}
}

// Config is everything the rules need besides state and input.
type Config struct {
	Thresholds Thresholds
	// RestartGrace: after a restart no service-down alert opens until it
	// passes (default 60 s).
	RestartGrace time.Duration
	// MissingAfter is how many heartbeats in a row may leave an expected
	// service out before it counts as missing (default 3).
	MissingAfter int
	// UnknownAfter is how many heartbeats in a row an expected unit may be
	// "unit not found" (or systemd unreachable) before it alerts (default 3).
	UnknownAfter int
	// ClockSkewBound: an agent whose clock is further off the hub's is
	// flagged (API field, dashboard badge, one log line); it still alerts
	// on the hub's time (default 60 s).
	ClockSkewBound time.Duration
}

// DefaultConfig returns the default thresholds, a 60 s grace period,
// missing or not found after 3 heartbeats and a 60 s clock skew bound.
func DefaultConfig() Config {
	return Config{Thresholds: DefaultThresholds(), RestartGrace: 60 * time.Second, MissingAfter: 3, UnknownAfter: 3, ClockSkewBound: time.Minute}
}

// OfflineTimeout is how long without a heartbeat makes a server offline.
func (c *Config) OfflineTimeout() time.Duration {
	return time.Duration(c.Thresholds.ServerOfflineSeconds) * time.Second
}

// ReminderInterval is the re-notification interval for a severity.
func (c *Config) ReminderInterval(severity string) time.Duration {
	if severity == homelabcmd.SeverityCritical {
		return time.Duration(c.Thresholds.Reminders.CriticalMinutes) * time.Minute
	}
	return time.Duration(c.Thresholds.Reminders.HighMinutes) * time.Minute
}
