package notify_test

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/notify"
)

// The wording comes from the table of alert kinds; these are the texts
// every provider has always sent.
func TestPlainText(t *testing.T) {
	at := time.Date(2025, 5, 1, 12, 30, 0, 0, time.UTC)
	v, th, dur := 97.2, 95.0, int64(600)
	for _, c := range []struct {
		name string
		m    notify.Message
		want string
	}{
		{"disk opened", notify.Message{Event: notify.EventOpened, AlertType: "disk", Severity: "critical", Text: "Disk usage on nas is 97%.",
			ServerName: "nas", Value: &v, Threshold: &th, At: at},
			"Critical: DISK Usage Alert|Disk usage on nas is 97%.\nServer: nas\nCurrent Value: 97%\nThreshold: 95% (critical)\nTime: 2025-05-01 12:30 UTC\nSuggestion: Check for large log files or run disk cleanup"},
		{"cpu reminder", notify.Message{Event: notify.EventReminder, AlertType: "cpu", Severity: "high", Text: "x", ServerName: "nas", At: at},
			"[Reminder] High: CPU Usage Alert|x\nServer: nas\nTime: 2025-05-01 12:30 UTC\nSuggestion: Identify and throttle CPU-intensive processes"},
		{"memory resolved", notify.Message{Event: notify.EventResolved, AlertType: "memory", Severity: "high", Text: "ok", ServerName: "nas", Value: &v, Duration: &dur, At: at},
			"Resolved: MEMORY Usage Alert|ok\nServer: nas\nCurrent Value: 97%\nDuration: 10 minutes"},
		{"service opened", notify.Message{Event: notify.EventOpened, AlertType: "service", Severity: "high", Text: "down", ServerName: "nas", ServiceName: "plex", At: at},
			"High: Service Alert|down\nServer: nas\nService: plex\nStatus: Stopped/Failed\nTime: 2025-05-01 12:30 UTC\nSuggestion: Check service logs and consider restarting the service"},
		{"service resolved", notify.Message{Event: notify.EventResolved, AlertType: "service", Severity: "high", Text: "up", ServerName: "nas", ServiceName: "plex", At: at},
			"Resolved: Service plex Running|up\nServer: nas\nService: plex\nDuration: Unknown"},
		{"offline escalated", notify.Message{Event: notify.EventEscalated, AlertType: "offline", Severity: "high", Text: "gone", ServerName: "nas", At: at},
			"High: Server Offline|gone\nServer: nas\nStatus: Offline\nTime: 2025-05-01 12:30 UTC\nSuggestion: Check network connectivity and server power"},
		{"offline resolved", notify.Message{Event: notify.EventResolved, AlertType: "offline", Severity: "high", Text: "back", ServerName: "nas", At: at},
			"Resolved: Server Back Online|back\nServer: nas\nDuration: Unknown"},
		{"unknown type", notify.Message{Event: notify.EventOpened, AlertType: "load", Severity: "medium", Title: "Load high", Text: "t", ServerName: "nas", At: at},
			"Medium: Load high|t\nServer: nas\nTime: 2025-05-01 12:30 UTC"},
		{"unknown type resolved", notify.Message{Event: notify.EventResolved, AlertType: "load", Severity: "medium", Title: "Load high", Text: "t", ServerName: "nas", At: at},
			"Resolved: Load high|t\nServer: nas\nDuration: Unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := notify.Headline(&c.m) + "|" + notify.PlainText(&c.m); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
