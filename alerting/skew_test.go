package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// An agent whose clock is far off the hub's alerts on the hub's time: the
// disk breach opens at once and the service down opens, whichever way the
// clock is off.
func TestSkewedAgentStillAlerts(t *testing.T) {
	for _, tc := range []struct {
		name string
		skew time.Duration
	}{{"10 min behind", -10 * time.Minute}, {"10 min ahead", 10 * time.Minute}, {"200 s behind", -200 * time.Second}, {"a day behind", -24 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(svc("plex", true, true))
			s.beatAt(t0, t0.Add(tc.skew), nil, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusRunning)})
			now := t0.Add(time.Minute)
			disk := 96.0
			mustKinds(t, s.beatAt(now, now.Add(tc.skew), &homelabcmd.Metrics{DiskPercent: &disk}, []homelabcmd.ServiceReport{rep("plex", homelabcmd.StatusStopped)}),
				"opened disk", "opened service:plex")
			if !s.clock.Skewed || *s.clock.OffsetMS != tc.skew.Milliseconds() {
				t.Errorf("clock = %+v, want skewed by %v", s.clock, tc.skew)
			}
		})
	}
}

func TestClock(t *testing.T) {
	cfg := DefaultConfig()
	ms := func(d time.Duration) *int64 { v := d.Milliseconds(); return &v }
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	for _, tc := range []struct {
		name       string
		prev       homelabcmd.ServerClock
		reported   time.Time
		wantReplay bool
		wantOffset time.Duration
		wantSkewed bool
	}{
		{"first report sets the offset", homelabcmd.ServerClock{}, t0.Add(-10 * time.Minute), false, -10 * time.Minute, true},
		{"within the bound is not skewed", homelabcmd.ServerClock{}, t0.Add(-59 * time.Second), false, -59 * time.Second, false},
		{"steady skew stays live", homelabcmd.ServerClock{OffsetMS: ms(-10 * time.Minute), ReportAt: at(-11 * time.Minute)}, t0.Add(-10 * time.Minute), false, -10 * time.Minute, true},
		{"a report lagging beyond the timeout is a replay", homelabcmd.ServerClock{OffsetMS: ms(-10 * time.Minute), ReportAt: at(-20 * time.Minute)}, t0.Add(-14 * time.Minute), true, -10 * time.Minute, true},
		{"exactly the timeout is live", homelabcmd.ServerClock{OffsetMS: ms(0), ReportAt: at(-time.Hour)}, t0.Add(-180 * time.Second), false, -180 * time.Second, true},
		{"a clock that went back is live", homelabcmd.ServerClock{OffsetMS: ms(0), ReportAt: at(0)}, t0.Add(-time.Hour), false, -time.Hour, true},
		{"a corrected clock is live", homelabcmd.ServerClock{OffsetMS: ms(-10 * time.Minute), ReportAt: at(-11 * time.Minute), Skewed: true}, t0, false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replay, next, _ := Clock(tc.prev, tc.reported, t0, cfg)
			if replay != tc.wantReplay {
				t.Fatalf("replay = %v, want %v", replay, tc.wantReplay)
			}
			if replay {
				if next.OffsetMS != tc.prev.OffsetMS {
					t.Errorf("a replay changed the clock: %+v", next)
				}
				return
			}
			if *next.OffsetMS != tc.wantOffset.Milliseconds() || next.Skewed != tc.wantSkewed || !next.ReportAt.Equal(tc.reported) {
				t.Errorf("next = %d ms skewed %v at %v, want %v skewed %v", *next.OffsetMS, next.Skewed, next.ReportAt, tc.wantOffset, tc.wantSkewed)
			}
		})
	}
}

func TestHubTime(t *testing.T) {
	off := int64(-600_000)
	if got := HubTime(homelabcmd.ServerClock{OffsetMS: &off}, t0); !got.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("HubTime = %v", got)
	}
	if got := HubTime(homelabcmd.ServerClock{}, t0); !got.Equal(t0) {
		t.Errorf("HubTime without offset = %v", got)
	}
}

func TestClockSavesOnlyChanges(t *testing.T) {
	cfg := DefaultConfig()
	off := int64(-600_000)
	at := t0.Add(-10*time.Minute - 30*time.Second)
	prev := homelabcmd.ServerClock{OffsetMS: &off, ReportAt: &at, Skewed: true}
	for _, tc := range []struct {
		name     string
		reported time.Time
		want     bool
	}{
		{"steady, stored report 30 s old", t0.Add(-10*time.Minute + 200*time.Millisecond), false},
		{"offset moved a second", t0.Add(-10*time.Minute + time.Second), true},
		{"stored report a minute old", t0.Add(-10 * time.Minute).Add(30 * time.Second), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			if tc.name == "stored report a minute old" {
				now = t0.Add(30 * time.Second)
			}
			replay, next, save := Clock(prev, tc.reported, now, cfg)
			if replay || save != tc.want || !save && next.OffsetMS != prev.OffsetMS {
				t.Fatalf("replay %v save %v next %+v", replay, save, next)
			}
		})
	}
}
