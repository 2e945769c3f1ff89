package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
	"github.com/homelabcmd/homelabcmd/notify/slack"
)

const token = "T0001/B0001/XXXXsecretXXXXtoken"

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	url := base + "/services/" + token
	n, err := slack.New(slack.Config{WebhookURL: url}, notify.NewGuard(true).Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{url, token}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  slack.Config
		want error
	}{{slack.Config{}, slack.ErrNoWebhookURL}, {slack.Config{WebhookURL: "ftp://x/y"}, slack.ErrBadWebhookURL}, {slack.Config{WebhookURL: "https://hooks.slack.com/services/a"}, nil}} {
		if err := c.cfg.Validate(); err != c.want {
			t.Errorf("Validate(%q) = %v, want %v", c.cfg.WebhookURL, err, c.want)
		}
	}
}

// capture posts m to a receiver and returns the decoded body.
func capture(t *testing.T, m *notify.Message) map[string]any {
	t.Helper()
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.URL.Path != "/services/"+token {
			t.Errorf("request %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
	}))
	defer srv.Close()
	n, _ := newNotifier(t, srv.URL)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPayloads(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC)
	v, th, dur := 97.0, 95.0, int64(1500)
	tests := []struct {
		name string
		m    notify.Message
		want string // the whole attachment, as JSON
	}{
		{"metric", notify.Message{Event: "opened", AlertType: "disk", Severity: "critical", ServerName: "nas", Value: &v, Threshold: &th, At: at},
			`{"color":"#F87171","blocks":[{"type":"header","text":{"type":"plain_text","text":"Critical: DISK Usage Alert"}},{"type":"section","fields":[{"type":"mrkdwn","text":"*Server:*\nnas"},{"type":"mrkdwn","text":"*Current Value:*\n97%"},{"type":"mrkdwn","text":"*Threshold:*\n95% (critical)"},{"type":"mrkdwn","text":"*Time:*\n2026-03-01 09:05 UTC"}]},{"type":"context","elements":[{"type":"mrkdwn","text":"*Suggestion:* Check for large log files or run disk cleanup"}]}]}`},
		{"service reminder", notify.Message{Event: "reminder", AlertType: "service", Severity: "medium", ServerName: "nas", ServiceName: "plex", At: at},
			`{"color":"#60A5FA","blocks":[{"type":"header","text":{"type":"plain_text","text":"[Reminder] Medium: Service Alert"}},{"type":"section","fields":[{"type":"mrkdwn","text":"*Server:*\nnas"},{"type":"mrkdwn","text":"*Service:*\nplex"},{"type":"mrkdwn","text":"*Status:*\nStopped/Failed"},{"type":"mrkdwn","text":"*Time:*\n2026-03-01 09:05 UTC"}]},{"type":"context","elements":[{"type":"mrkdwn","text":"*Suggestion:* Check service logs and consider restarting the service"}]}]}`},
		{"offline", notify.Message{Event: "opened", AlertType: "offline", Severity: "high", ServerName: "nas", At: at},
			`{"color":"#FBBF24","blocks":[{"type":"header","text":{"type":"plain_text","text":"High: Server Offline"}},{"type":"section","fields":[{"type":"mrkdwn","text":"*Server:*\nnas"},{"type":"mrkdwn","text":"*Status:*\nOffline"},{"type":"mrkdwn","text":"*Time:*\n2026-03-01 09:05 UTC"}]},{"type":"context","elements":[{"type":"mrkdwn","text":"*Suggestion:* Check network connectivity and server power"}]}]}`},
		{"resolved service", notify.Message{Event: "resolved", AlertType: "service", Severity: "high", ServerName: "nas", ServiceName: "plex", Duration: &dur, At: at},
			`{"color":"#22C55E","blocks":[{"type":"header","text":{"type":"plain_text","text":"Resolved: Service plex Running"}},{"type":"section","fields":[{"type":"mrkdwn","text":"*Server:*\nnas"},{"type":"mrkdwn","text":"*Service:*\nplex"},{"type":"mrkdwn","text":"*Duration:*\n25 minutes"}]}]}`},
		{"resolved offline, unknown duration", notify.Message{Event: "resolved", AlertType: "offline", Severity: "high", ServerName: "nas", At: at},
			`{"color":"#22C55E","blocks":[{"type":"header","text":{"type":"plain_text","text":"Resolved: Server Back Online"}},{"type":"section","fields":[{"type":"mrkdwn","text":"*Server:*\nnas"},{"type":"mrkdwn","text":"*Duration:*\nUnknown"}]}]}`},
		{"test", notify.Message{Event: "test", At: at},
			`{"color":"#3B82F6","blocks":[{"type":"header","text":{"type":"plain_text","text":"HomelabCmd Test"}},{"type":"section","text":{"type":"mrkdwn","text":"Webhook configured successfully!"}},{"type":"context","elements":[{"type":"mrkdwn","text":"Sent at 2026-03-01 09:05:00 UTC"}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capture(t, &tt.m)
			atts, _ := got["attachments"].([]any)
			if len(atts) != 1 {
				t.Fatalf("attachments = %v", got["attachments"])
			}
			var want any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(atts[0])
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("attachment\n got %s\nwant %s", gb, wb)
			}
		})
	}
}
