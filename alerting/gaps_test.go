package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Alerts opened while paused are recorded silently; their resolution is
// silent too, and unpausing tells only the ones still open, once.
func TestPausedOpeningsAndTheirResolutions(t *testing.T) {
	s := newSim(svc("plex", true, true), svc("smbd", true, true))
	s.server.Paused = true
	res := s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped), rep("smbd", homelabcmd.StatusStopped)})
	for _, tr := range res.Transitions {
		if tr.Notify || tr.Alert.NotifiedAt != nil {
			t.Fatalf("paused opening notified: %+v", tr)
		}
	}
	s.server.Paused = false
	// smbd recovers after the pause ended but before anyone heard of it:
	// no lone "resolved".
	res = s.beat(t0.Add(time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped), rep("smbd", homelabcmd.StatusRunning)})
	mustKinds(t, res, "resolved service:smbd")
	if res.Transitions[0].Notify {
		t.Error("a resolution was notified whose opening never was")
	}
	un := Unpaused(s.server, s.alerts, t0.Add(2*time.Minute))
	if len(un) != 1 || un[0].Kind != Opened || !un[0].Notify || un[0].Alert.ServiceName == nil || *un[0].Alert.ServiceName != "plex" || un[0].Note == "" {
		t.Fatalf("unpaused = %+v", un)
	}
	s.alerts["service:plex"].NotifiedAt = un[0].Alert.NotifiedAt
	if again := Unpaused(s.server, s.alerts, t0.Add(3*time.Minute)); len(again) != 0 {
		t.Fatalf("second unpause = %+v", again)
	}
	res = s.beat(t0.Add(4*time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning), rep("smbd", homelabcmd.StatusRunning)})
	if len(res.Transitions) != 1 || !res.Transitions[0].Notify {
		t.Fatalf("resolution after the unpause notification = %+v", res.Transitions)
	}
}

func TestUnpausedSkipsAcknowledged(t *testing.T) {
	a := &homelabcmd.Alert{ID: 1, Status: homelabcmd.AlertAcknowledged}
	if got := Unpaused(Server{Name: "nas"}, map[string]*homelabcmd.Alert{"x": a}, t0); len(got) != 0 {
		t.Fatalf("unpaused = %+v", got)
	}
}

func TestWithdrawn(t *testing.T) {
	notified := t0
	a := &homelabcmd.Alert{ID: 4, Status: homelabcmd.AlertOpen, CreatedAt: t0, NotifiedAt: &notified}
	tr := Withdrawn(Server{Name: "nas"}, a, ReasonServiceDeleted, t0.Add(time.Minute))
	if tr.Kind != Resolved || !tr.Notify || tr.Alert.ResolutionReason == nil || *tr.Alert.ResolutionReason != ReasonServiceDeleted || !tr.Alert.AutoResolved {
		t.Fatalf("withdrawn = %+v", tr)
	}
	a.NotifiedAt = nil
	if tr := Withdrawn(Server{Name: "nas"}, a, ReasonServiceDisabled, t0); tr.Notify {
		t.Error("withdrawal of a never-notified alert was notified")
	}
}
