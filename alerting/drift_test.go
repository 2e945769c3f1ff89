package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestDrift(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	open := &homelabcmd.Alert{ID: 7, ServerID: "nas", AlertType: homelabcmd.AlertDrift, Status: homelabcmd.AlertOpen, CreatedAt: now.Add(-time.Hour), NotifiedAt: &now}
	srv := homelabcmd.ServerRef{ID: "nas", Name: "NAS"}
	paused := srv
	paused.Paused = true
	tests := []struct {
		name       string
		server     homelabcmd.ServerRef
		open       *homelabcmd.Alert
		mismatches int
		want       Kind // "" for no transition
		notify     bool
	}{
		{"drifted: opens", srv, nil, 3, Opened, true},
		{"drifted, paused: opens silently", paused, nil, 3, Opened, false},
		{"still drifted: nothing new", srv, open, 2, "", false},
		{"compliant again: resolves", srv, open, 0, Resolved, true},
		{"compliant: nothing", srv, nil, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := Drift(tt.server, tt.open, tt.mismatches, "package curl, unit ssh", now)
			if tt.want == "" {
				if tr != nil {
					t.Fatalf("got %+v", tr)
				}
				return
			}
			if tr == nil || tr.Kind != tt.want || tr.Notify != tt.notify {
				t.Fatalf("got %+v", tr)
			}
			if tt.want == Opened && (tr.Alert.Title != "NAS drifted from its configuration packs" ||
				*tr.Alert.Message != "3 items of NAS's configuration packs do not comply: package curl, unit ssh." || tr.Alert.Severity != homelabcmd.SeverityMedium) {
				t.Fatalf("alert %+v %q", tr.Alert, *tr.Alert.Message)
			}
			if tt.want == Resolved && (tr.Alert.ID != 7 || tr.Alert.Status != homelabcmd.AlertResolved || !tr.Alert.AutoResolved) {
				t.Fatalf("resolved %+v", tr.Alert)
			}
		})
	}
}
