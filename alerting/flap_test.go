package alerting

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// notified lists the notified transitions of a result.
func notified(res Result) []string {
	var out []string
	for _, tr := range res.Transitions {
		if tr.Notify {
			out = append(out, string(tr.Kind)+" "+tr.Alert.DedupKey())
		}
	}
	return out
}

// A unit that stops for a second 8 times in 36 s: one "opened", one
// "flapping" with the count, and one "resolved" once it is calm.
func TestFlappingServiceNotifiesOnce(t *testing.T) {
	s := newSim(svc("plex", true, true))
	s.cfg.Thresholds.Flapping.RecoveryHoldSeconds = 10
	s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
	var got []string
	var flapNote string
	at := t0
	for range 8 {
		at = at.Add(3500 * time.Millisecond)
		got = append(got, notified(s.beat(at, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}))...)
		at = at.Add(time.Second)
		res := s.beat(at, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
		for _, tr := range res.Transitions {
			if tr.Kind == Flapping {
				flapNote = tr.Note
			}
		}
		got = append(got, notified(res)...)
	}
	if strings.Join(got, ",") != "opened service:plex,flapping service:plex" {
		t.Fatalf("notifications over 8 flaps = %q", got)
	}
	if !strings.Contains(flapNote, "is flapping: 6 state changes") {
		t.Errorf("flapping note = %q", flapNote)
	}
	// Running since; heartbeats every 30 s: resolved once 5 min calm.
	var resolvedAt time.Time
	last := at
	for i := 1; i <= 12 && resolvedAt.IsZero(); i++ {
		now := last.Add(time.Duration(i) * 30 * time.Second)
		res := s.beat(now, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
		if n := notified(res); len(n) > 0 {
			if n[0] != "resolved service:plex" || !strings.Contains(res.Transitions[0].Note, "Stable again") {
				t.Fatalf("after calm: %q %q", n, res.Transitions[0].Note)
			}
			resolvedAt = now
		}
	}
	if resolvedAt.Sub(last) != 5*time.Minute {
		t.Fatalf("resolved %v after the last change, want 5m", resolvedAt.Sub(last))
	}
	// A later single outage is an ordinary alert again.
	mustKinds(t, s.beat(resolvedAt.Add(time.Minute), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}), "opened service:plex")
}

// A unit that crashed 12 times in 60 s, back within the grace period each
// time, so every report says running: a crash-loop alert, resolved after
// 10 min without a restart.
func TestCrashLoopAlertsWhileRunning(t *testing.T) {
	s := newSim(svc("plex", true, true))
	s.beat(t0, nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 0)})
	var opened []string
	for i := 1; i <= 12; i++ {
		res := s.beat(t0.Add(time.Duration(i)*5*time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, i)})
		opened = append(opened, notified(res)...)
	}
	if strings.Join(opened, ",") != "opened crashloop:plex" {
		t.Fatalf("notifications = %q", opened)
	}
	a := s.alerts["crashloop:plex"]
	if a.Severity != homelabcmd.SeverityHigh || !strings.Contains(*a.Message, "restarted 5 times within 10m0s") {
		t.Errorf("crash loop alert = %+v %s", a, *a.Message)
	}
	mustKinds(t, s.beat(t0.Add(9*time.Minute), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 12)}))
	mustKinds(t, s.beat(t0.Add(11*time.Minute+time.Second), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 12)}), "resolved crashloop:plex")
	mustKinds(t, s.beat(t0.Add(12*time.Minute), nil, []homelabcmd.ServiceReport{repRestarts("plex", homelabcmd.StatusRunning, 12)}))
}

// Without a recovery hold every early flap still notifies, but flapping
// stops the flood at the sixth change.
func TestFlappingWithoutRecoveryHold(t *testing.T) {
	s := newSim(svc("plex", true, true))
	s.cfg.Thresholds.Flapping.RecoveryHoldSeconds = 0
	s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
	var got []string
	at := t0
	for range 8 {
		at = at.Add(3500 * time.Millisecond)
		got = append(got, notified(s.beat(at, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}))...)
		at = at.Add(time.Second)
		got = append(got, notified(s.beat(at, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}))...)
	}
	if len(got) != 6 || got[5] != "flapping service:plex" {
		t.Fatalf("notifications over 8 flaps = %q", got)
	}
}

// With the defaults (a 10 s recovery hold) 8 one-second flaps send the
// opening and the flapping notice only.
func TestFlappingWithDefaults(t *testing.T) {
	s := newSim(svc("plex", true, true))
	s.beat(t0, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
	var got []string
	at := t0
	for range 8 {
		at = at.Add(3500 * time.Millisecond)
		got = append(got, notified(s.beat(at, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}))...)
		at = at.Add(time.Second)
		got = append(got, notified(s.beat(at, nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)}))...)
	}
	if !slices.Equal(got, []string{"opened service:plex", "flapping service:plex"}) {
		t.Fatalf("notifications over 8 flaps = %q", got)
	}
}

// A short outage's recovery resolves once it has held for the hold, by the
// clock job when no report comes (RecoveryHeld), not before.
func TestRecoveryHeld(t *testing.T) {
	cfg := DefaultConfig()
	srv := Server{ID: "nas", Name: "nas"}
	rec := t0
	notifiedAt := t0.Add(-5 * time.Second)
	a := &homelabcmd.Alert{ID: 7, ServerID: "nas", AlertType: homelabcmd.AlertService, Status: homelabcmd.AlertOpen, CreatedAt: notifiedAt, NotifiedAt: &notifiedAt}
	for _, tc := range []struct {
		name   string
		after  time.Duration
		paused bool
		want   bool
		notify bool
	}{
		{"during the hold", 9 * time.Second, false, false, false},
		{"hold ended", 10 * time.Second, false, true, true},
		{"hold ended, paused", 30 * time.Second, true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := srv
			s.Paused = tc.paused
			tr, ok := RecoveryHeld(s, a, rec, cfg, rec.Add(tc.after))
			if ok != tc.want || ok && (tr.Kind != Resolved || tr.Notify != tc.notify || !tr.Alert.AutoResolved || tr.Alert.Status != homelabcmd.AlertResolved) {
				t.Fatalf("RecoveryHeld = %+v, %v", tr, ok)
			}
		})
	}
}
