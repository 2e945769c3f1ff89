package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestServiceRules(t *testing.T) {
	ack := func(s *sim, key string) { s.alerts[key].Status = homelabcmd.AlertAcknowledged }
	tests := []struct {
		name     string
		expected []homelabcmd.ExpectedService
		setup    func(s *sim) // runs before the heartbeat under test
		report   []homelabcmd.ServiceReport
		want     []string
		check    func(t *testing.T, res Result)
	}{
		{name: "critical service stopped opens a high alert", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}, want: []string{"opened service:plex"},
			check: func(t *testing.T, res Result) {
				a := res.Transitions[0].Alert
				if a.Severity != homelabcmd.SeverityHigh || a.Title != "Service plex is stopped on nas.lan" ||
					*a.Message != "Expected service plex on nas.lan is stopped." || *a.ServiceName != "plex" || !res.Transitions[0].Notify {
					t.Errorf("alert = %+v", a)
				}
			}},
		{name: "non-critical service failed opens a medium alert", expected: []homelabcmd.ExpectedService{svc("smbd", false, true)},
			report: []homelabcmd.ServiceReport{rep("smbd", homelabcmd.StatusFailed)}, want: []string{"opened service:smbd"},
			check: func(t *testing.T, res Result) {
				if a := res.Transitions[0].Alert; a.Severity != homelabcmd.SeverityMedium || !strings.Contains(a.Title, "is failed") {
					t.Errorf("alert = %+v", a)
				}
			}},
		{name: "unknown raises nothing", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusUnknown)}},
		{name: "unknown does not resolve", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup: func(s *sim) {
				s.beat(t0.Add(-time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
			},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusUnknown)}},
		{name: "service that is not expected raises nothing", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning), rep("cups", homelabcmd.StatusStopped)}},
		{name: "disabled expected service raises nothing", expected: []homelabcmd.ExpectedService{svc("plex", true, false)},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}},
		{name: "still down with an open alert: no second alert", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup: func(s *sim) {
				s.beat(t0.Add(-time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
			},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusFailed)}},
		{name: "running resolves the open alert", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup: func(s *sim) {
				s.beat(t0.Add(-time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
			},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}, want: []string{"resolved service:plex"},
			check: func(t *testing.T, res Result) {
				tr := res.Transitions[0]
				if !tr.Alert.AutoResolved || tr.Alert.Status != homelabcmd.AlertResolved || tr.Alert.ID != 1 || !tr.Since.Equal(t0.Add(-time.Minute)) {
					t.Errorf("transition = %+v", tr)
				}
			}},
		{name: "running resolves an acknowledged alert", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup: func(s *sim) {
				s.beat(t0.Add(-time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
				ack(s, "service:plex")
			},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}, want: []string{"resolved service:plex"}},
		{name: "many services down at once: one alert each", expected: []homelabcmd.ExpectedService{svc("a", true, true), svc("b", false, true), svc("c", false, true), svc("d", true, true)},
			report: []homelabcmd.ServiceReport{rep("a", homelabcmd.StatusStopped), rep("b", homelabcmd.StatusFailed), rep("c", homelabcmd.StatusRunning), rep("d", homelabcmd.StatusFailed)},
			want:   []string{"opened service:a", "opened service:b", "opened service:d"}},
		{name: "service name that contains another: alerts stay apart", expected: []homelabcmd.ExpectedService{svc("nginx", true, true), svc("nginx-proxy", true, true)},
			setup: func(s *sim) {
				s.beat(t0.Add(-time.Minute), nil, []homelabcmd.ServiceReport{rep("nginx", homelabcmd.StatusStopped), rep("nginx-proxy", homelabcmd.StatusStopped)})
			},
			report: []homelabcmd.ServiceReport{rep("nginx", homelabcmd.StatusRunning), rep("nginx-proxy", homelabcmd.StatusStopped)},
			want:   []string{"resolved service:nginx"}},
		{name: "deleted expected service: its open alert is left alone", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup: func(s *sim) {
				s.beat(t0.Add(-time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
				s.expected = nil
			},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}},
		{name: "paused server: recorded, not notified", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup:  func(s *sim) { s.server.Paused = true },
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}, want: []string{"opened service:plex"},
			check: func(t *testing.T, res Result) {
				if res.Transitions[0].Notify {
					t.Error("a paused server's alert was marked for notification")
				}
			}},
		{name: "heartbeat resolves the offline alert", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			setup: func(s *sim) {
				s.alerts["offline"] = &homelabcmd.Alert{ID: 7, ServerID: "nas", AlertType: homelabcmd.AlertOffline, Severity: homelabcmd.SeverityHigh, Status: homelabcmd.AlertOpen, CreatedAt: t0.Add(-10 * time.Minute)}
			},
			report: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}, want: []string{"resolved offline"},
			check: func(t *testing.T, res Result) {
				if tr := res.Transitions[0]; tr.Alert.ID != 7 || !tr.Alert.AutoResolved || !tr.Since.Equal(t0.Add(-10*time.Minute)) {
					t.Errorf("transition = %+v", tr)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(tt.expected...)
			if tt.setup != nil {
				tt.setup(s)
			}
			res := s.beat(t0, nil, tt.report)
			mustKinds(t, res, tt.want...)
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func TestQuickOutageRecoveryIsHeld(t *testing.T) {
	s := newSim(svc("plex", false, true))
	s.cfg.Thresholds.Flapping.RecoveryHoldSeconds = 10
	steps := []struct {
		status homelabcmd.ServiceStatusValue
		want   []string
	}{
		{homelabcmd.StatusStopped, []string{"opened service:plex"}},
		{homelabcmd.StatusRunning, nil}, // a short outage's recovery is held 10 s
		{homelabcmd.StatusStopped, nil}, // down again: the same alert
		{homelabcmd.StatusStopped, nil},
		{homelabcmd.StatusRunning, nil},
		{homelabcmd.StatusRunning, nil},
		{homelabcmd.StatusRunning, []string{"resolved service:plex"}}, // held 10 s
		{homelabcmd.StatusStopped, []string{"opened service:plex"}},
	}
	for i, st := range steps {
		res := s.beat(t0.Add(time.Duration(i)*5*time.Second), nil, []homelabcmd.ServiceReport{rep("plex", st.status)})
		mustKinds(t, res, st.want...)
	}
	if s.nextID != 2 {
		t.Errorf("opened %d alerts, want 2", s.nextID)
	}
}

func TestMissingService(t *testing.T) {
	s := newSim(svc("plex", true, true), svc("smbd", false, true))
	present := []homelabcmd.ServiceReport{rep("smbd", homelabcmd.StatusRunning)}
	mustKinds(t, s.beat(t0, nil, present))
	mustKinds(t, s.beat(t0.Add(time.Minute), nil, present))
	res := s.beat(t0.Add(2*time.Minute), nil, present)
	mustKinds(t, res, "opened service:plex")
	if a := res.Transitions[0].Alert; a.Severity != homelabcmd.SeverityHigh || !strings.Contains(a.Title, "not reported") || !strings.Contains(*a.Message, "3 heartbeats") {
		t.Errorf("alert = %+v", a)
	}
	mustKinds(t, s.beat(t0.Add(3*time.Minute), nil, present))
	mustKinds(t, s.beat(t0.Add(4*time.Minute), nil, append(present, rep("plex", homelabcmd.StatusRunning))), "resolved service:plex")
}

// An agent that does not watch the hub's expected list (the original's)
// leaves an unreported service unmonitored: no alert however long; a
// service it does report still alerts when it stops.
func TestMissingServiceUnwatched(t *testing.T) {
	s := newSim(svc("plex", true, true), svc("smbd", false, true))
	s.unwatched = true
	present := []homelabcmd.ServiceReport{rep("smbd", homelabcmd.StatusRunning)}
	for i := range 5 {
		mustKinds(t, s.beat(t0.Add(time.Duration(i)*time.Minute), nil, present))
	}
	mustKinds(t, s.beat(t0.Add(6*time.Minute), nil, []homelabcmd.ServiceReport{rep("smbd", homelabcmd.StatusStopped)}), "opened service:smbd")
}

func TestMissingCountResetsWhenReported(t *testing.T) {
	s := newSim(svc("plex", true, true))
	mustKinds(t, s.beat(t0, nil, []homelabcmd.ServiceReport{}))
	mustKinds(t, s.beat(t0.Add(time.Minute), nil, []homelabcmd.ServiceReport{}))
	mustKinds(t, s.beat(t0.Add(2*time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusUnknown)}))
	mustKinds(t, s.beat(t0.Add(3*time.Minute), nil, []homelabcmd.ServiceReport{}))
	mustKinds(t, s.beat(t0.Add(4*time.Minute), nil, []homelabcmd.ServiceReport{}))
	mustKinds(t, s.beat(t0.Add(5*time.Minute), nil, []homelabcmd.ServiceReport{}), "opened service:plex")
}

func TestNoServiceListCountsNothing(t *testing.T) {
	s := newSim(svc("plex", true, true))
	for i := range 5 {
		res := s.beat(t0.Add(time.Duration(i)*time.Minute), pct(10), nil)
		mustKinds(t, res)
	}
	if st := s.states["service:plex"]; st.MissingCount != 0 {
		t.Errorf("missing count = %d after heartbeats without a service list", st.MissingCount)
	}
}

func TestRestartGrace(t *testing.T) {
	t.Run("restart count rise, then still down after the grace period", func(t *testing.T) {
		s := newSim(svc("plex", true, true))
		mustKinds(t, s.beat(t0, nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 2)}))
		mustKinds(t, s.beat(t0.Add(10*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusFailed, 3)}))
		mustKinds(t, s.beat(t0.Add(69*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusFailed, 4)}))
		res := s.beat(t0.Add(70*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusFailed, 4)})
		mustKinds(t, res, "opened service:plex")
		if a := res.Transitions[0].Alert; a.Title != "Service plex failed to start after a restart on nas.lan" {
			t.Errorf("title = %q", a.Title)
		}
	})
	t.Run("restart count rise, running within the grace period", func(t *testing.T) {
		s := newSim(svc("plex", true, true))
		s.beat(t0, nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 0)})
		mustKinds(t, s.beat(t0.Add(time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusStopped, 1)}))
		mustKinds(t, s.beat(t0.Add(5*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 1)}))
		res := s.beat(t0.Add(10*time.Minute), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusStopped, 1)})
		mustKinds(t, res, "opened service:plex")
		if !strings.Contains(res.Transitions[0].Alert.Title, "is stopped") {
			t.Errorf("a later plain stop used the restart wording: %q", res.Transitions[0].Alert.Title)
		}
	})
	t.Run("restart delivered by the hub", func(t *testing.T) {
		s := newSim(svc("plex", false, true))
		s.restarts["plex"] = t0
		mustKinds(t, s.beat(t0.Add(2*time.Second), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}))
		delete(s.restarts, "plex") // the store passes only restarts within the grace period
		res := s.beat(t0.Add(61*time.Second), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
		mustKinds(t, res, "opened service:plex")
		if !strings.Contains(res.Transitions[0].Alert.Title, "failed to start after a restart") {
			t.Errorf("title = %q", res.Transitions[0].Alert.Title)
		}
	})
	t.Run("a crash loop does not extend the grace period", func(t *testing.T) {
		s := newSim(svc("plex", true, true))
		s.beat(t0, nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 0)})
		for i := 1; i <= 5; i++ {
			var want []string
			if i == 5 {
				want = []string{"opened crashloop:plex"} // 5 restarts in 10 min
			}
			mustKinds(t, s.beat(t0.Add(time.Duration(i)*10*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusFailed, i)}), want...)
		}
		mustKinds(t, s.beat(t0.Add(70*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusFailed, 7)}), "opened service:plex")
	})
	t.Run("a first report with a restart count starts no grace period", func(t *testing.T) {
		s := newSim(svc("plex", true, true))
		mustKinds(t, s.beat(t0, nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusFailed, 9)}), "opened service:plex")
	})
}

func TestStaleReportOpensNothingButResolves(t *testing.T) {
	s := newSim(svc("plex", true, true), svc("smbd", false, true), svc("nfs", false, true))
	s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped), rep("smbd", homelabcmd.StatusRunning), rep("nfs", homelabcmd.StatusRunning)})
	now := t0.Add(time.Hour)
	// A replay from while the server was offline: smbd down must not open,
	// plex running must still resolve (and notify).
	res := s.beatAt(now, now.Add(-181*time.Second), pct(99), []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning), rep("smbd", homelabcmd.StatusStopped)})
	mustKinds(t, res, "resolved service:plex")
	if !res.Transitions[0].Notify {
		t.Error("resolution during offline was not notified")
	}
	// Exactly at the timeout the report still counts as fresh.
	res = s.beatAt(now, now.Add(-180*time.Second), nil, []homelabcmd.ServiceReport{rep("smbd", homelabcmd.StatusStopped), rep("nfs", homelabcmd.StatusRunning), rep("plex", homelabcmd.StatusRunning)})
	mustKinds(t, res, "opened service:smbd")
}

func TestStatesReportOnlyChanges(t *testing.T) {
	s := newSim(svc("plex", true, true))
	first := s.beat(t0, nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 1)})
	if len(first.States) != 1 {
		t.Fatalf("first heartbeat states = %+v, want the new restart count", first.States)
	}
	if again := s.beat(t0.Add(time.Minute), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 1)}); len(again.States) != 0 {
		t.Errorf("unchanged heartbeat wrote states %+v", again.States)
	}
}
