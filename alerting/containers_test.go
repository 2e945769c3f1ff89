package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func ctr(name string, critical bool) homelabcmd.ExpectedService {
	e := svc(name, critical, true)
	e.Kind = homelabcmd.KindContainer
	return e
}

func crep(c homelabcmd.ContainerReport) homelabcmd.ServiceReport { return c.Unit() }

// containers evaluates one heartbeat with services and containers.
func (s *sim) containers(now time.Time, services, containers []homelabcmd.ServiceReport) Result {
	in := Input{Server: s.server, Services: services, Containers: containers, Expected: s.expected,
		States: s.states, Alerts: s.alerts, HubRestarts: s.restarts}
	res := Evaluate(in, s.cfg, now)
	s.apply(res)
	return res
}

func TestContainerRules(t *testing.T) {
	code := func(n int) *int { return &n }
	running := homelabcmd.ContainerReport{Name: "plex", State: "running", Health: "healthy"}
	exited := homelabcmd.ContainerReport{Name: "plex", State: "exited", Health: "none", ExitCode: code(137), OOMKilled: true}
	unhealthy := homelabcmd.ContainerReport{Name: "plex", State: "running", Health: "unhealthy"}
	tests := []struct {
		name       string
		expected   []homelabcmd.ExpectedService
		services   []homelabcmd.ServiceReport
		containers []homelabcmd.ServiceReport
		want       []string
		text       string
	}{
		{name: "critical container OOM-killed: high, OOM in the text", expected: []homelabcmd.ExpectedService{ctr("plex", true)},
			containers: []homelabcmd.ServiceReport{crep(exited)}, want: []string{"opened container:plex high"},
			text: "Expected container plex on nas.lan is failed (exited, exit code 137, OOM-killed)."},
		{name: "unhealthy container: medium", expected: []homelabcmd.ExpectedService{ctr("plex", false)},
			containers: []homelabcmd.ServiceReport{crep(unhealthy)}, want: []string{"opened container:plex medium"}, text: "unhealthy"},
		{name: "running container: nothing", expected: []homelabcmd.ExpectedService{ctr("plex", true)},
			containers: []homelabcmd.ServiceReport{crep(running)}},
		{name: "a systemd unit of the same name does not answer for the container", expected: []homelabcmd.ExpectedService{ctr("plex", true), svc("plex", true, true)},
			services: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}, containers: []homelabcmd.ServiceReport{crep(exited)},
			want: []string{"opened container:plex high"}},
		{name: "a stopped container does not alert as a service", expected: []homelabcmd.ExpectedService{svc("plex", true, true)},
			services: []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}, containers: []homelabcmd.ServiceReport{crep(exited)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(tc.expected...)
			res := s.containers(t0, tc.services, tc.containers)
			var got []string
			for _, tr := range res.Transitions {
				got = append(got, string(tr.Kind)+" "+tr.Alert.DedupKey()+" "+tr.Alert.Severity)
			}
			if strings.Join(got, ";") != strings.Join(tc.want, ";") {
				t.Fatalf("transitions %v, want %v", got, tc.want)
			}
			if tc.text != "" && !strings.Contains(*res.Transitions[0].Alert.Message, tc.text) {
				t.Errorf("message %q, want %q in it", *res.Transitions[0].Alert.Message, tc.text)
			}
		})
	}
}

// Down, then running again: the container alert resolves; a container
// that is no longer reported while the engine answers is missing.
func TestContainerAlertLifecycle(t *testing.T) {
	s := newSim(ctr("db", false))
	code := 1
	down := crep(homelabcmd.ContainerReport{Name: "db", State: "exited", ExitCode: &code})
	up := crep(homelabcmd.ContainerReport{Name: "db", State: "running"})
	if res := s.containers(t0, nil, []homelabcmd.ServiceReport{down}); len(res.Transitions) != 1 || res.Transitions[0].Alert.AlertType != homelabcmd.AlertContainer {
		t.Fatalf("down: %+v", res.Transitions)
	}
	if res := s.containers(t0.Add(2*time.Minute), nil, []homelabcmd.ServiceReport{up}); len(res.Transitions) != 1 || res.Transitions[0].Kind != Resolved {
		t.Fatalf("up: %+v", res.Transitions)
	}
	// No container engine (containers absent): neither down nor missing,
	// however long.
	for i := range s.cfg.MissingAfter + 2 {
		if res := s.containers(t0.Add(time.Duration(3+i)*time.Second), []homelabcmd.ServiceReport{}, nil); len(res.Transitions) != 0 {
			t.Fatalf("containers absent: %+v", res.Transitions)
		}
	}
	var res Result
	for i := range s.cfg.MissingAfter {
		res = s.containers(t0.Add(time.Duration(3+i)*time.Minute), nil, []homelabcmd.ServiceReport{})
	}
	if len(res.Transitions) != 1 || !strings.Contains(res.Transitions[0].Alert.Title, "Container db is not reported") {
		t.Fatalf("missing: %+v", res.Transitions)
	}
}

// Restart count rising CrashLoop.Restarts times within the window while
// the container reports running between: a container_loop alert.
func TestContainerRestartLoop(t *testing.T) {
	s := newSim(ctr("worker", true))
	var opened []homelabcmd.Alert
	for i := range s.cfg.Thresholds.CrashLoop.Restarts + 1 {
		n := i
		r := crep(homelabcmd.ContainerReport{Name: "worker", State: "running", RestartCount: &n})
		for _, tr := range s.containers(t0.Add(time.Duration(i)*10*time.Second), nil, []homelabcmd.ServiceReport{r}).Transitions {
			if tr.Kind == Opened {
				opened = append(opened, tr.Alert)
			}
		}
	}
	if len(opened) != 1 || opened[0].AlertType != homelabcmd.AlertContainerLoop || opened[0].Severity != homelabcmd.SeverityHigh ||
		!strings.Contains(opened[0].Title, "Container worker is in a restart loop") {
		t.Fatalf("opened %+v, want one high container_loop alert", opened)
	}
}

// Docker may flag an OOM kill only after the die event the alert opened
// on: the open alert learns it (recorded, not notified again), once.
func TestContainerAlertLearnsOOMKill(t *testing.T) {
	s := newSim(ctr("db", false))
	code := 137
	killed := crep(homelabcmd.ContainerReport{Name: "db", State: "exited", ExitCode: &code})
	oom := crep(homelabcmd.ContainerReport{Name: "db", State: "exited", ExitCode: &code, OOMKilled: true})
	if res := s.containers(t0, nil, []homelabcmd.ServiceReport{killed}); len(res.Transitions) != 1 || strings.Contains(*res.Transitions[0].Alert.Message, "OOM") {
		t.Fatalf("killed: %+v", res.Transitions)
	}
	res := s.containers(t0.Add(time.Second), nil, []homelabcmd.ServiceReport{oom})
	if len(res.Transitions) != 1 || res.Transitions[0].Kind != Escalated || res.Transitions[0].Notify ||
		!strings.Contains(*res.Transitions[0].Alert.Message, "OOM-killed") || res.Transitions[0].Alert.Severity != homelabcmd.SeverityMedium {
		t.Fatalf("OOM learnt: %+v", res.Transitions)
	}
	if res := s.containers(t0.Add(2*time.Second), nil, []homelabcmd.ServiceReport{oom}); len(res.Transitions) != 0 {
		t.Fatalf("OOM learnt twice: %+v", res.Transitions)
	}
}
