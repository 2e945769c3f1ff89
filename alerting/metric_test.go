package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func disk(v float64) *homelabcmd.Metrics { return &homelabcmd.Metrics{DiskPercent: &v} }

func TestMetricThresholds(t *testing.T) {
	type step struct {
		at   time.Duration
		m    *homelabcmd.Metrics
		want []string
		sev  string // severity of the last transition, when there is one
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "cpu fires on the 4th breaching heartbeat (sustained 180 s)", steps: []step{
			{0, pct(90), nil, ""}, {60 * time.Second, pct(91), nil, ""}, {120 * time.Second, pct(92), nil, ""},
			{180 * time.Second, pct(90), []string{"opened cpu"}, homelabcmd.SeverityHigh},
			{240 * time.Second, pct(93), nil, ""},
		}},
		{name: "a dip below high resets the sustain window", steps: []step{
			{0, pct(90), nil, ""}, {120 * time.Second, pct(50), nil, ""}, {180 * time.Second, pct(90), nil, ""},
			{300 * time.Second, pct(90), nil, ""}, {360 * time.Second, pct(90), []string{"opened cpu"}, homelabcmd.SeverityHigh},
		}},
		{name: "the high threshold itself breaches (>=)", steps: []step{
			{0, disk(80), []string{"opened disk"}, homelabcmd.SeverityHigh},
		}},
		{name: "disk fires at once and escalates the same alert", steps: []step{
			{0, disk(85), []string{"opened disk"}, homelabcmd.SeverityHigh},
			{time.Minute, disk(96), []string{"escalated disk"}, homelabcmd.SeverityCritical},
			{2 * time.Minute, disk(90), nil, ""},
			{3 * time.Minute, disk(79), []string{"resolved disk"}, homelabcmd.SeverityCritical},
		}},
		{name: "straight to critical", steps: []step{
			{0, disk(99), []string{"opened disk"}, homelabcmd.SeverityCritical},
			{time.Minute, disk(99), nil, ""},
		}},
		{name: "a missing value leaves the alert alone", steps: []step{
			{0, disk(90), []string{"opened disk"}, homelabcmd.SeverityHigh},
			{time.Minute, &homelabcmd.Metrics{}, nil, ""},
			{2 * time.Minute, nil, nil, ""},
		}},
		{name: "high and critical breaches share one sustain timer", steps: []step{
			{0, pct(86), nil, ""}, {100 * time.Second, pct(97), nil, ""},
			{180 * time.Second, pct(97), []string{"opened cpu"}, homelabcmd.SeverityCritical},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim()
			for i, st := range tt.steps {
				res := s.beat(t0.Add(st.at), st.m, nil)
				mustKinds(t, res, st.want...)
				if st.sev != "" {
					if got := res.Transitions[len(res.Transitions)-1].Alert.Severity; got != st.sev {
						t.Errorf("step %d: severity = %s, want %s", i, got, st.sev)
					}
				}
			}
		})
	}
}

func TestMetricAlertDetails(t *testing.T) {
	s := newSim()
	open := s.beat(t0, disk(85), nil).Transitions[0].Alert
	open.ID = s.alerts["disk"].ID // the store assigns it
	if *open.ThresholdValue != 80 || *open.ActualValue != 85 || open.Title != "High Disk usage on nas.lan" {
		t.Errorf("opened alert = %+v", open)
	}
	esc := s.beat(t0.Add(time.Minute), disk(97), nil).Transitions[0].Alert
	if esc.ID != open.ID || *esc.ThresholdValue != 95 || *esc.ActualValue != 97 || esc.Title != "Critical Disk usage on nas.lan" {
		t.Errorf("escalated alert = %+v (opened as %+v)", esc, open)
	}
	s.alerts["disk"].Status = homelabcmd.AlertAcknowledged
	res := s.beat(t0.Add(2*time.Minute), disk(40), nil)
	r := res.Transitions[0]
	if r.Alert.ID != open.ID || !r.Alert.AutoResolved || *r.Alert.ActualValue != 40 || !r.Since.Equal(t0) {
		t.Errorf("resolution = %+v", r)
	}
}

func TestManualResolveWhileBreachingReopens(t *testing.T) {
	s := newSim()
	s.beat(t0, disk(90), nil)
	delete(s.alerts, "disk") // resolved by the operator
	mustKinds(t, s.beat(t0.Add(time.Minute), disk(90), nil), "opened disk")
}

func TestConfiguredThresholds(t *testing.T) {
	s := newSim()
	s.cfg.Thresholds.CPU = MetricThreshold{HighPercent: 50, CriticalPercent: 60, SustainedSeconds: 0}
	mustKinds(t, s.beat(t0, pct(55), nil), "opened cpu")
	mustKinds(t, s.beat(t0.Add(time.Minute), pct(49), nil), "resolved cpu")
}
