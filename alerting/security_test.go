package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// security evaluates one heartbeat carrying a security update count.
func (s *sim) security(now time.Time, n *int) Result {
	in := Input{Server: s.server, SecurityUpdates: n, States: s.states, Alerts: s.alerts, HubRestarts: s.restarts}
	res := Evaluate(in, s.cfg, now)
	s.apply(res)
	return res
}

func TestSecurityUpdatesPendingForDays(t *testing.T) {
	n := func(v int) *int { return &v }
	day := 24 * time.Hour
	t.Run("off by default, but remembers since when", func(t *testing.T) {
		s := newSim()
		if s.cfg.Thresholds.SecurityUpdatesDays != 0 {
			t.Fatalf("default security_updates_days = %d", s.cfg.Thresholds.SecurityUpdatesDays)
		}
		mustKinds(t, s.security(t0, n(3)))
		mustKinds(t, s.security(t0.Add(30*day), n(3)))
		if st := s.states[homelabcmd.AlertSecurityUpdates]; st.FirstBreachAt == nil || !st.FirstBreachAt.Equal(t0) {
			t.Fatalf("state %+v", st)
		}
		// Switched on later: counts from the first report.
		s.cfg.Thresholds.SecurityUpdatesDays = 7
		mustKinds(t, s.security(t0.Add(30*day+time.Minute), n(3)), "opened security_updates")
	})
	t.Run("opens after N days, resolves at 0", func(t *testing.T) {
		s := newSim()
		s.cfg.Thresholds.SecurityUpdatesDays = 3
		mustKinds(t, s.security(t0, n(2)))
		mustKinds(t, s.security(t0.Add(2*day), n(5)))
		mustKinds(t, s.security(t0.Add(3*day-time.Second), nil)) // a heartbeat without the count changes nothing
		res := s.security(t0.Add(3*day), n(4))
		mustKinds(t, res, "opened security_updates")
		a := res.Transitions[0].Alert
		if a.Severity != homelabcmd.SeverityMedium || *a.ActualValue != 4 || *a.ThresholdValue != 3 ||
			!strings.Contains(a.Title, "for 3 days") || !strings.Contains(*a.Message, "(4 now)") {
			t.Fatalf("alert %+v %s", a, *a.Message)
		}
		mustKinds(t, s.security(t0.Add(4*day), n(4))) // still open: nothing new
		res = s.security(t0.Add(5*day), n(0))
		mustKinds(t, res, "resolved security_updates")
		if since := res.Transitions[0].Since; since == nil || !since.Equal(t0) {
			t.Fatalf("since %v", since)
		}
		// A new pending update starts the count again.
		mustKinds(t, s.security(t0.Add(6*day), n(1)))
		mustKinds(t, s.security(t0.Add(8*day), n(1)))
		mustKinds(t, s.security(t0.Add(9*day), n(1)), "opened security_updates")
	})
	t.Run("switching it off resolves the open alert", func(t *testing.T) {
		s := newSim()
		s.cfg.Thresholds.SecurityUpdatesDays = 1
		mustKinds(t, s.security(t0, n(1)))
		mustKinds(t, s.security(t0.Add(day), n(1)), "opened security_updates")
		s.cfg.Thresholds.SecurityUpdatesDays = 0
		mustKinds(t, s.security(t0.Add(day+time.Minute), n(1)), "resolved security_updates")
	})
}

func TestSecurityUpdatesDaysThreshold(t *testing.T) {
	base := DefaultConfig().Thresholds
	for _, tc := range []struct {
		v  int
		ok bool
	}{{0, true}, {14, true}, {365, true}, {-1, false}, {366, false}} {
		_, _, err := base.Apply(ThresholdsPatch{SecurityUpdatesDays: &tc.v})
		if (err == nil) != tc.ok {
			t.Errorf("security_updates_days %d: err %v", tc.v, err)
		}
	}
}
