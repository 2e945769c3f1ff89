package alerting

import (
	"github.com/homelabcmd/homelabcmd"
)

// MetricThresholdPatch is a partial update of one metric's rule.
type MetricThresholdPatch struct {
	HighPercent         *int `json:"high_percent"`
	CriticalPercent     *int `json:"critical_percent"`
	SustainedSeconds    *int `json:"sustained_seconds"`
	SustainedHeartbeats *int `json:"sustained_heartbeats"`
}

// RemindersPatch is a partial update of the reminder intervals.
type RemindersPatch struct {
	CriticalMinutes *int `json:"critical_minutes"`
	HighMinutes     *int `json:"high_minutes"`
}

// ThresholdsPatch is the body of PUT /config/thresholds: nil fields keep
// their stored value.
type ThresholdsPatch struct {
	CPU                  *MetricThresholdPatch `json:"cpu"`
	Memory               *MetricThresholdPatch `json:"memory"`
	Disk                 *MetricThresholdPatch `json:"disk"`
	ServerOfflineSeconds *int                  `json:"server_offline_seconds"`
	OfflineSeverity      *string               `json:"offline_severity"`
	ReplayedOutages      *bool                 `json:"replayed_outages"`
	GroupSeconds         *int                  `json:"group_seconds"`
	GroupWaitSeconds     *int                  `json:"group_wait_seconds"`
	SecurityUpdatesDays  *int                  `json:"security_updates_days"`
	Flapping             *struct {
		Changes             *int `json:"changes"`
		WindowSeconds       *int `json:"window_seconds"`
		StableSeconds       *int `json:"stable_seconds"`
		RecoveryHoldSeconds *int `json:"recovery_hold_seconds"`
	} `json:"flapping"`
	CrashLoop *struct {
		Restarts      *int `json:"restarts"`
		WindowSeconds *int `json:"window_seconds"`
	} `json:"crash_loop"`
	Reminders *RemindersPatch `json:"reminders"`
}

// Apply merges p into t and validates the result. It returns the merged
// thresholds and the dotted names of the fields whose value changed, or an
// EINVALID error naming the offending field.
func (t Thresholds) Apply(p ThresholdsPatch) (Thresholds, []string, error) {
	out := t
	updated := []string{}
	set := func(name string, dst *int, v *int, lo, hi int) error {
		if v == nil {
			return nil
		}
		if *v < lo || *v > hi {
			return homelabcmd.FieldError(name, "must be between %d and %d", lo, hi)
		}
		if *dst != *v {
			*dst = *v
			updated = append(updated, name)
		}
		return nil
	}
	for _, k := range metricKinds() {
		name, dst, patch := k.ThresholdKey, out.metric(k.ThresholdKey), p.metric(k.ThresholdKey)
		if patch == nil {
			continue
		}
		if err := set(name+".high_percent", &dst.HighPercent, patch.HighPercent, 0, 100); err != nil {
			return t, nil, err
		}
		if err := set(name+".critical_percent", &dst.CriticalPercent, patch.CriticalPercent, 0, 100); err != nil {
			return t, nil, err
		}
		if err := set(name+".sustained_seconds", &dst.SustainedSeconds, patch.SustainedSeconds, 0, 600); err != nil {
			return t, nil, err
		}
		if hb := patch.SustainedHeartbeats; hb != nil {
			if *hb < 0 || *hb > 10 {
				return t, nil, homelabcmd.FieldError(name+".sustained_heartbeats", "must be between 0 and 10")
			}
			dst.SustainedHeartbeats = hb
			if dst.SustainedSeconds == 0 && *hb > 0 {
				dst.SustainedSeconds = *hb * 60
				updated = append(updated, name+".sustained_seconds")
			}
		}
	}
	if err := set("server_offline_seconds", &out.ServerOfflineSeconds, p.ServerOfflineSeconds, 30, 86400); err != nil {
		return t, nil, err
	}
	if v := p.OfflineSeverity; v != nil && *v != out.OfflineSeverity {
		out.OfflineSeverity = *v
		updated = append(updated, "offline_severity")
	}
	if v := p.ReplayedOutages; v != nil && *v != out.ReplayedOutages {
		out.ReplayedOutages = *v
		updated = append(updated, "replayed_outages")
	}
	if err := set("group_seconds", &out.GroupSeconds, p.GroupSeconds, 0, 300); err != nil {
		return t, nil, err
	}
	if err := set("group_wait_seconds", &out.GroupWaitSeconds, p.GroupWaitSeconds, 0, 300); err != nil {
		return t, nil, err
	}
	if err := set("security_updates_days", &out.SecurityUpdatesDays, p.SecurityUpdatesDays, 0, 365); err != nil {
		return t, nil, err
	}
	if f := p.Flapping; f != nil {
		for _, x := range []struct {
			name   string
			dst, v *int
			lo, hi int
		}{{"flapping.changes", &out.Flapping.Changes, f.Changes, 3, 100}, {"flapping.window_seconds", &out.Flapping.WindowSeconds, f.WindowSeconds, 10, 86400},
			{"flapping.stable_seconds", &out.Flapping.StableSeconds, f.StableSeconds, 10, 86400}, {"flapping.recovery_hold_seconds", &out.Flapping.RecoveryHoldSeconds, f.RecoveryHoldSeconds, 0, 600}} {
			if err := set(x.name, x.dst, x.v, x.lo, x.hi); err != nil {
				return t, nil, err
			}
		}
	}
	if c := p.CrashLoop; c != nil {
		if err := set("crash_loop.restarts", &out.CrashLoop.Restarts, c.Restarts, 2, 64); err != nil {
			return t, nil, err
		}
		if err := set("crash_loop.window_seconds", &out.CrashLoop.WindowSeconds, c.WindowSeconds, 10, 86400); err != nil {
			return t, nil, err
		}
	}
	if r := p.Reminders; r != nil {
		if err := set("reminders.critical_minutes", &out.Reminders.CriticalMinutes, r.CriticalMinutes, 5, 1440); err != nil {
			return t, nil, err
		}
		if err := set("reminders.high_minutes", &out.Reminders.HighMinutes, r.HighMinutes, 15, 1440); err != nil {
			return t, nil, err
		}
	}
	if err := out.Validate(); err != nil {
		return t, nil, err
	}
	return out, updated, nil
}

// Validate checks the ranges and that each critical threshold lies above
// its high threshold. EINVALID with the field name.
func (t *Thresholds) Validate() error {
	for _, k := range metricKinds() {
		name, v := k.ThresholdKey, t.metric(k.ThresholdKey)
		if v.HighPercent < 0 || v.HighPercent > 100 || v.CriticalPercent < 0 || v.CriticalPercent > 100 {
			return homelabcmd.FieldError(name, "percentages must be between 0 and 100")
		}
		if v.CriticalPercent <= v.HighPercent {
			return homelabcmd.FieldError(name+".critical_percent", "critical_percent must be greater than high_percent")
		}
		if v.SustainedSeconds < 0 || v.SustainedSeconds > 600 {
			return homelabcmd.FieldError(name+".sustained_seconds", "must be between 0 and 600")
		}
	}
	if t.ServerOfflineSeconds < 30 || t.ServerOfflineSeconds > 86400 {
		return homelabcmd.FieldError("server_offline_seconds", "must be between 30 and 86400")
	}
	if homelabcmd.SeverityRank(t.OfflineSeverity) == 0 {
		return homelabcmd.FieldError("offline_severity", "must be critical, high, medium or low")
	}
	if r := t.Reminders; r.CriticalMinutes < 5 || r.CriticalMinutes > 1440 || r.HighMinutes < 15 || r.HighMinutes > 1440 {
		return homelabcmd.FieldError("reminders", "critical_minutes must be 5-1440 and high_minutes 15-1440")
	}
	return nil
}
