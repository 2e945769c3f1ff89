package alerting

import (
	"errors"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sim plays a store: it keeps states and unresolved alerts between
// heartbeats and applies each Result as the real store would.
type sim struct {
	server   Server
	expected []homelabcmd.ExpectedService
	cfg      Config
	states   map[string]State
	alerts   map[string]*homelabcmd.Alert
	restarts map[string]time.Time
	clock    homelabcmd.ServerClock
	nextID   int64
	// unwatched: the agent does not watch the expected list.
	unwatched bool
}

func newSim(expected ...homelabcmd.ExpectedService) *sim {
	return &sim{server: Server{ID: "nas", Name: "nas.lan", MachineType: homelabcmd.MachineServer}, expected: expected,
		cfg: DefaultConfig(), states: map[string]State{}, alerts: map[string]*homelabcmd.Alert{}, restarts: map[string]time.Time{}}
}

func svc(name string, critical, enabled bool) homelabcmd.ExpectedService {
	return homelabcmd.ExpectedService{ServerID: "nas", ServiceName: name, IsCritical: critical, Enabled: enabled}
}

func rep(name string, status homelabcmd.ServiceStatusValue) homelabcmd.ServiceReport {
	return homelabcmd.ServiceReport{Name: name, Status: status}
}

func repRestarts(name string, status homelabcmd.ServiceStatusValue, n int) homelabcmd.ServiceReport {
	r := rep(name, status)
	r.Restarts = &n
	return r
}

// beat evaluates one fresh heartbeat at now and applies the result.
func (s *sim) beat(now time.Time, m *homelabcmd.Metrics, services []homelabcmd.ServiceReport) Result {
	return s.beatAt(now, now, m, services)
}

// beatAt evaluates a heartbeat the agent stamped reported (its own clock)
// that reaches the hub at now.
func (s *sim) beatAt(now, reported time.Time, m *homelabcmd.Metrics, services []homelabcmd.ServiceReport) Result {
	var replay bool
	replay, s.clock, _ = Clock(s.clock, reported, now, s.cfg)
	in := Input{Server: s.server, Metrics: m, Services: services, Replay: replay, Expected: s.expected,
		States: s.states, Alerts: s.alerts, HubRestarts: s.restarts, Unwatched: s.unwatched}
	if replay {
		in.At = HubTime(s.clock, reported)
	}
	res := Evaluate(in, s.cfg, now)
	s.apply(res)
	return res
}

func (s *sim) apply(res Result) {
	for _, st := range res.States {
		s.states[st.Key] = st
	}
	for _, tr := range res.Transitions {
		a := tr.Alert
		switch tr.Kind {
		case Opened:
			s.nextID++
			a.ID = s.nextID
			s.alerts[a.DedupKey()] = &a
		case Resolved:
			delete(s.alerts, a.DedupKey())
		default:
			s.alerts[a.DedupKey()] = &a
		}
	}
}

func kinds(res Result) []string {
	out := []string{}
	for _, tr := range res.Transitions {
		out = append(out, string(tr.Kind)+" "+tr.Alert.DedupKey())
	}
	return out
}

func mustKinds(t *testing.T, res Result, want ...string) {
	t.Helper()
	got := kinds(res)
	if len(got) != len(want) {
		t.Fatalf("transitions = %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("transitions = %q, want %q", got, want)
		}
	}
}

func pct(v float64) *homelabcmd.Metrics { return &homelabcmd.Metrics{CPUPercent: &v} }

func asError(err error, target **homelabcmd.Error) bool { return errors.As(err, target) }
