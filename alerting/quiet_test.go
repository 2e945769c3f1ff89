package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestPageCritical(t *testing.T) {
	told := t0
	trs := []Transition{
		{Kind: Opened, Alert: homelabcmd.Alert{Severity: homelabcmd.SeverityCritical}},
		{Kind: Opened, Alert: homelabcmd.Alert{Severity: homelabcmd.SeverityHigh}},
		{Kind: Resolved, Alert: homelabcmd.Alert{Severity: homelabcmd.SeverityCritical, NotifiedAt: &told}},
		{Kind: Resolved, Alert: homelabcmd.Alert{Severity: homelabcmd.SeverityCritical}},
		{Kind: Escalated, Alert: homelabcmd.Alert{Severity: homelabcmd.SeverityCritical}},
	}
	PageCritical(trs, t0.Add(time.Minute))
	want := []bool{true, false, true, false, false}
	for i, tr := range trs {
		if tr.Notify != want[i] {
			t.Errorf("%d %s %s: notify %v, want %v", i, tr.Kind, tr.Alert.Severity, tr.Notify, want[i])
		}
	}
	if trs[0].Alert.NotifiedAt == nil {
		t.Error("a paged opening has no notified_at")
	}
}

func TestWindowEndedReleasesWithItsNote(t *testing.T) {
	a := &homelabcmd.Alert{ID: 2, Status: homelabcmd.AlertOpen}
	got := WindowEnded(Server{Name: "nas"}, map[string]*homelabcmd.Alert{"x": a}, t0)
	if len(got) != 1 || got[0].Note != "Opened during a maintenance window on nas and still open." || !got[0].Notify {
		t.Fatalf("released = %+v", got)
	}
}
