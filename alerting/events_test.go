package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func uptime(sec int64) *homelabcmd.Metrics { return &homelabcmd.Metrics{UptimeSeconds: &sec} }

func reason(r homelabcmd.ServiceReport, why string) homelabcmd.ServiceReport {
	r.StatusReason = &why
	return r
}

func TestRebootIsRecordedOnce(t *testing.T) {
	s := newSim()
	mustKinds(t, s.beat(t0, uptime(3600), nil))
	// Uptime grows with the clock (give or take): the same boot.
	if res := s.beat(t0.Add(time.Minute), uptime(3660+5), nil); len(res.Transitions) != 0 || len(res.States) != 0 {
		t.Fatalf("same boot: %+v", res)
	}
	res := s.beat(t0.Add(2*time.Minute), uptime(20), nil)
	mustKinds(t, res, "opened reboot")
	tr := res.Transitions[0]
	if !tr.Momentary || !tr.Notify || tr.Alert.Severity != homelabcmd.SeverityLow || !strings.Contains(*tr.Alert.Message, "uptime went back to 20s") {
		t.Fatalf("reboot = %+v %s", tr, *tr.Alert.Message)
	}
	mustKinds(t, s.beat(t0.Add(3*time.Minute), uptime(80), nil))
}

func TestReplayedOutageIsToldOnce(t *testing.T) {
	s := newSim(svc("plex", true, true))
	s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
	// The hub hears nothing for 10 min; then the agent replays: plex was
	// down for 20 s in the middle.
	now := t0.Add(10 * time.Minute)
	for i, st := range []homelabcmd.ServiceStatusValue{homelabcmd.StatusRunning, homelabcmd.StatusStopped, homelabcmd.StatusStopped, homelabcmd.StatusRunning} {
		at := t0.Add(time.Duration(4*60+i*10) * time.Second)
		res := s.beatAt(now, at, nil, []homelabcmd.ServiceReport{rep("plex", st)})
		if i < 3 {
			mustKinds(t, res)
			continue
		}
		mustKinds(t, res, "opened replayed:plex")
		tr := res.Transitions[0]
		if !tr.Momentary || tr.Alert.Severity != homelabcmd.SeverityLow || !strings.Contains(*tr.Alert.Message, "plex was down for 20s") {
			t.Fatalf("replayed outage = %+v %s", tr, *tr.Alert.Message)
		}
	}
	mustKinds(t, s.beat(now, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}))

	t.Run("switched off", func(t *testing.T) {
		s := newSim(svc("plex", true, true))
		s.cfg.Thresholds.ReplayedOutages = false
		s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
		now := t0.Add(10 * time.Minute)
		s.beatAt(now, t0.Add(5*time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
		mustKinds(t, s.beatAt(now, t0.Add(5*time.Minute+20*time.Second), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}))
	})
	t.Run("still down when live: the usual alert, no replay notice", func(t *testing.T) {
		s := newSim(svc("plex", true, true))
		s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
		now := t0.Add(10 * time.Minute)
		s.beatAt(now, t0.Add(5*time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)})
		mustKinds(t, s.beat(now, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}), "opened service:plex")
		mustKinds(t, s.beat(now.Add(time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}), "resolved service:plex")
	})
}

func TestUnitNotFoundAlertsAfterN(t *testing.T) {
	s := newSim(svc("plexx", false, true))
	nf := reason(rep("plexx", homelabcmd.StatusUnknown), "unit not found")
	mustKinds(t, s.beat(t0, nil, []homelabcmd.ServiceReport{nf}))
	mustKinds(t, s.beat(t0.Add(time.Minute), nil, []homelabcmd.ServiceReport{nf}))
	res := s.beat(t0.Add(2*time.Minute), nil, []homelabcmd.ServiceReport{nf})
	mustKinds(t, res, "opened unit:plexx")
	if a := res.Transitions[0].Alert; a.Severity != homelabcmd.SeverityMedium || a.Title != "plexx is not a unit on nas.lan (typo?)" {
		t.Fatalf("unit alert = %+v", a)
	}
	mustKinds(t, s.beat(t0.Add(3*time.Minute), nil, []homelabcmd.ServiceReport{nf}))
	// The unit appears (installed): resolved.
	mustKinds(t, s.beat(t0.Add(4*time.Minute), nil, []homelabcmd.ServiceReport{rep("plexx", homelabcmd.StatusRunning)}), "resolved unit:plexx")
	if st := s.states["unit:plexx"]; st.UnknownCount != 0 {
		t.Errorf("count after found = %d", st.UnknownCount)
	}
	// Any other unknown reason is not a missing unit.
	other := reason(rep("plexx", homelabcmd.StatusUnknown), "unit not loaded")
	for i := range 5 {
		mustKinds(t, s.beat(t0.Add(time.Duration(5+i)*time.Minute), nil, []homelabcmd.ServiceReport{other}))
	}
}

func TestSystemdUnreachableIsOneAlertPerServer(t *testing.T) {
	s := newSim(svc("plex", true, true), svc("smbd", false, true), svc("nfs", false, true))
	down := func() []homelabcmd.ServiceReport {
		var out []homelabcmd.ServiceReport
		for _, n := range []string{"plex", "smbd", "nfs"} {
			out = append(out, reason(rep(n, homelabcmd.StatusUnknown), "systemd not available: dial unix /run/dbus/system_bus_socket: connect: permission denied"))
		}
		return out
	}
	mustKinds(t, s.beat(t0, nil, down()))
	mustKinds(t, s.beat(t0.Add(time.Minute), nil, down()))
	res := s.beat(t0.Add(2*time.Minute), nil, down())
	mustKinds(t, res, "opened systemd")
	if !strings.Contains(*res.Transitions[0].Alert.Message, "permission denied") {
		t.Errorf("message = %s", *res.Transitions[0].Alert.Message)
	}
	mustKinds(t, s.beat(t0.Add(3*time.Minute), nil, down()))
	mustKinds(t, s.beat(t0.Add(4*time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning),
		rep("smbd", homelabcmd.StatusRunning), rep("nfs", homelabcmd.StatusRunning)}), "resolved systemd")
}
