package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestRouteTogetherGroupsPerChannel(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	msgs := []*Message{
		{Event: EventOpened, AlertID: 1, AlertType: "service", Severity: "medium", Title: "Service smbd is stopped on nas", ServerID: "nas", ServerName: "nas", ServiceName: "smbd", At: at},
		{Event: EventOpened, AlertID: 2, AlertType: "service", Severity: "high", Title: "Service plex is stopped on nas", ServerID: "nas", ServerName: "nas", ServiceName: "plex", At: at},
		{Event: EventOpened, AlertID: 3, AlertType: "disk", Severity: "critical", Title: "Critical Disk usage on nas", ServerID: "nas", ServerName: "nas", At: at},
	}
	channels := []homelabcmd.Channel{{ID: 1, Enabled: true, MinSeverity: "low"}, {ID: 2, Enabled: true, MinSeverity: "critical"}, {ID: 3, Enabled: true, MinSeverity: "high"}}
	rows, err := RouteTogether(channels, msgs)
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	var all, crit, high Message
	_ = json.Unmarshal(rows[0].Payload, &all)
	_ = json.Unmarshal(rows[1].Payload, &crit)
	_ = json.Unmarshal(rows[2].Payload, &high)
	if all.Title != "3 alerts on nas" || all.Severity != "critical" || len(all.Alerts) != 3 || !strings.Contains(all.Text, "• High: Service plex is stopped on nas") {
		t.Errorf("grouped for all = %+v", all)
	}
	if crit.Title != "Critical Disk usage on nas" || crit.Alerts != nil || crit.AlertID != 3 {
		t.Errorf("the one critical alert = %+v", crit)
	}
	if high.Title != "2 alerts on nas" || len(high.Alerts) != 2 {
		t.Errorf("grouped for high = %+v", high)
	}
	if h := Headline(&all); h != "Critical: 3 alerts on nas" {
		t.Errorf("headline = %q", h)
	}
}

func TestWantsHonoursServerAndKindLimits(t *testing.T) {
	m := &Message{Event: EventOpened, AlertType: "disk", Severity: "high", ServerID: "nas"}
	for _, tc := range []struct {
		name    string
		servers []string
		kinds   []string
		want    bool
	}{
		{"no limits", nil, nil, true},
		{"its server", []string{"nas", "pi"}, nil, true},
		{"another server", []string{"pi"}, nil, false},
		{"its kind", nil, []string{"disk"}, true},
		{"another kind", nil, []string{"offline", "service"}, false},
		{"both match", []string{"nas"}, []string{"disk"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &homelabcmd.Channel{Enabled: true, MinSeverity: "low", ServerIDs: tc.servers, AlertTypes: tc.kinds}
			if got := Wants(c, m); got != tc.want {
				t.Errorf("Wants = %v, want %v", got, tc.want)
			}
		})
	}
	if !Wants(&homelabcmd.Channel{Enabled: true, ServerIDs: []string{"pi"}}, &Message{Event: EventTest}) {
		t.Error("a test message must reach a limited channel")
	}
}

// A channel limited to some severities takes only those, and never less
// than its minimum (the original's notify_on_critical/notify_on_high).
func TestWantsHonoursSeverities(t *testing.T) {
	for _, tc := range []struct {
		name       string
		min        string
		severities []string
		sev        string
		want       bool
	}{
		{"no set, above min", "medium", nil, "critical", true},
		{"no set, below min", "medium", nil, "low", false},
		{"in the set", "medium", []string{"medium", "critical"}, "critical", true},
		{"left out of the set", "medium", []string{"medium", "critical"}, "high", false},
		{"in the set but below min", "high", []string{"medium", "critical"}, "medium", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &homelabcmd.Channel{Enabled: true, MinSeverity: tc.min, Severities: tc.severities}
			if got := Wants(c, &Message{Event: EventOpened, Severity: tc.sev}); got != tc.want {
				t.Errorf("Wants(%s) = %v, want %v", tc.sev, got, tc.want)
			}
		})
	}
}
