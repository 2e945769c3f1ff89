package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The original hub's GET /config and PUT /config/notifications map onto a
// channel named "slack" and the reminder intervals.
func TestLegacyNotificationsConfig(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		m := a.op("GET", "/api/v1/config", nil).json(t)
		n := m["notifications"].(map[string]any)
		if m["thresholds"] == nil || n["slack_webhook_url"] != "" || jsonString(n["cooldowns"]) != `{"critical_minutes":30,"high_minutes":240}` {
			t.Fatalf("defaults %v", m)
		}
		r := a.op("PUT", "/api/v1/config/notifications", map[string]any{"slack_webhook_url": "https://hooks.slack.example/services/T0/B0/secret",
			"cooldowns": map[string]any{"critical_minutes": 10}, "notify_on_auto_resolve": false})
		expectStatus(t, r, 200)
		if strings.Contains(string(r.Body), "secret") {
			t.Fatalf("the webhook URL leaked: %s", r.Body)
		}
		m = r.json(t)
		n = m["notifications"].(map[string]any)
		if n["slack_webhook_url"] != "********" || n["notify_on_auto_resolve"] != false ||
			jsonString(n["cooldowns"]) != `{"critical_minutes":10,"high_minutes":240}` ||
			jsonString(m["updated"]) != `["cooldowns.critical_minutes","slack_webhook_url","notify_on_auto_resolve"]` {
			t.Fatalf("after update %s", r.Body)
		}
		ch := a.op("GET", "/api/v1/notifications/channels", nil).json(t)["channels"].([]any)
		if len(ch) != 1 || ch[0].(map[string]any)["name"] != "slack" || ch[0].(map[string]any)["type"] != "slack" {
			t.Fatalf("channels %v", ch)
		}
		expectFieldError(t, a.op("PUT", "/api/v1/config/notifications", map[string]any{"cooldowns": map[string]any{"critical_minutes": 1}}), "body.cooldowns.critical_minutes")
		expectFieldError(t, a.op("PUT", "/api/v1/config/notifications", map[string]any{"slack_webhook_url": "not a url"}), "body.config")
		// An empty URL removes the channel.
		expectStatus(t, a.op("PUT", "/api/v1/config/notifications", map[string]any{"slack_webhook_url": ""}), 200)
		if ch := a.op("GET", "/api/v1/notifications/channels", nil).json(t)["channels"].([]any); len(ch) != 0 {
			t.Fatalf("channel left after clearing the URL: %v", ch)
		}
	})
}

// A CPU breach inside its sustain window shows in GET /alerts/pending, and
// leaves it once the alert opens.
func TestPendingAlerts(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		now := time.Now().UTC()
		beat := func(at time.Time, cpu float64) {
			t.Helper()
			m := hb("nas", at)
			m["metrics"] = map[string]any{"cpu_percent": cpu, "memory_percent": 20.0, "disk_percent": 30.0}
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", m), 200)
		}
		beat(now, 97)
		p := a.op("GET", "/api/v1/alerts/pending", nil).json(t)
		list := p["pending"].([]any)
		if p["total"] != 1.0 {
			t.Fatalf("pending %v", p)
		}
		e := list[0].(map[string]any)
		if e["metric_type"] != "cpu" || e["severity"] != "critical" || e["current_value"] != 97.0 || e["threshold_value"] != 85.0 ||
			e["sustained_seconds"] != 180.0 || e["time_until_alert"].(float64) > 180 {
			t.Fatalf("pending entry %v", e)
		}
		// Past the sustain window (on the hub's clock) the alert opens and the
		// breach is no longer pending.
		a.db.Now = func() time.Time { return time.Now().Add(200 * time.Second) }
		defer func() { a.db.Now = time.Now }()
		beat(now.Add(200*time.Second), 97)
		if p := a.op("GET", "/api/v1/alerts/pending", nil).json(t); p["total"] != 0.0 {
			t.Fatalf("still pending after the alert opened: %v", p)
		}
		if n := a.op("GET", "/api/v1/alerts?alert_type=cpu", nil).json(t)["total"]; n != 1.0 {
			t.Fatalf("cpu alerts %v", n)
		}
	})
}

// POST /config/test-webhook sends the test message to the URL in the body
// and answers 200 either way; the Slack channel made from
// slack_webhook_url takes medium alerts too (the original sent them all).
func TestLegacyTestWebhook(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		got := make(chan string, 4)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- string(b)
			w.Write([]byte("ok"))
		}))
		defer srv.Close()
		r := a.op("POST", "/api/v1/config/test-webhook", map[string]any{"webhook_url": srv.URL + "/services/T0/B0/secret"})
		if m := r.json(t); r.Status != 200 || m["success"] != true || m["message"] != "Test message sent successfully" {
			t.Fatalf("test-webhook %d %s", r.Status, r.Body)
		}
		select {
		case body := <-got:
			if !strings.Contains(body, "test") && !strings.Contains(body, "Test") {
				t.Fatalf("payload %s", body)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("nothing sent")
		}
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "invalid_token", 403) }))
		defer bad.Close()
		r = a.op("POST", "/api/v1/config/test-webhook", map[string]any{"webhook_url": bad.URL + "/services/T0/B0/secret"})
		if m := r.json(t); r.Status != 200 || m["success"] != false || strings.Contains(string(r.Body), "secret") || m["error"] == "" {
			t.Fatalf("failing webhook %d %s", r.Status, r.Body)
		}
		expectFieldError(t, a.op("POST", "/api/v1/config/test-webhook", map[string]any{}), "body.webhook_url")
		expectStatus(t, a.op("PUT", "/api/v1/config/notifications", map[string]any{"slack_webhook_url": "https://hooks.slack.example/services/T0/B0/x"}), 200)
		ch := a.op("GET", "/api/v1/notifications/channels", nil).json(t)["channels"].([]any)
		if len(ch) != 1 || ch[0].(map[string]any)["min_severity"] != "medium" {
			t.Fatalf("legacy slack channel %v", ch)
		}
	})
}

// The original's Settings page saves the whole notifications setting; its
// toggles drive the "slack" channel: high alerts off leaves medium and
// critical, and resolutions need notify_on_remediation and
// notify_on_auto_resolve both (contract §6.8).
func TestLegacyNotificationToggles(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		ctx := context.Background()
		// Toggles sent before any webhook are kept for it.
		r := a.op("PUT", "/api/v1/config/notifications", map[string]any{"notify_on_high": false})
		expectStatus(t, r, 200)
		if n := r.json(t)["notifications"].(map[string]any); n["notify_on_high"] != false || n["notify_on_critical"] != true {
			t.Fatalf("toggle without a webhook %s", r.Body)
		}
		// The body the original's Settings page sends.
		r = a.op("PUT", "/api/v1/config/notifications", map[string]any{
			"slack_webhook_url": "https://hooks.slack.example/services/T0/B0/secret", "cooldowns": map[string]any{"critical_minutes": 30, "high_minutes": 240},
			"notify_on_critical": true, "notify_on_high": false, "notify_on_remediation": false,
			"notify_on_action_failure": true, "notify_on_action_success": false, "notify_on_auto_resolve": true})
		expectStatus(t, r, 200)
		m := r.json(t)
		n := m["notifications"].(map[string]any)
		if n["notify_on_critical"] != true || n["notify_on_high"] != false || n["notify_on_remediation"] != false || n["notify_on_auto_resolve"] != true ||
			jsonString(m["updated"]) != `["slack_webhook_url","notify_on_critical","notify_on_high","notify_on_remediation","notify_on_auto_resolve"]` {
			t.Fatalf("after the Settings page's save %s", r.Body)
		}
		ch := a.op("GET", "/api/v1/notifications/channels", nil).json(t)["channels"].([]any)[0].(map[string]any)
		if jsonString(ch["severities"]) != `["medium","critical"]` || ch["send_resolved"] != false || ch["min_severity"] != "medium" {
			t.Fatalf("slack channel %v", ch)
		}

		// plex is critical (a high alert), smbd is not (medium): only smbd's
		// opening is queued for Slack, and no resolution.
		expectStatus(t, a.op("PUT", "/api/v1/config/thresholds", map[string]any{"flapping": map[string]any{"recovery_hold_seconds": 0}}), 200)
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan"}), 201)
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/services", map[string]any{"service_name": "plex", "is_critical": true}), 201)
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/services", map[string]any{"service_name": "smbd"}), 201)
		now := time.Now().UTC()
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now, svc("plex", "stopped"), svc("smbd", "stopped"))), 200)
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", now.Add(time.Second), svc("plex", "running"), svc("smbd", "running"))), 200)
		rows, err := a.db.ListOutbox(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Event != "opened" {
			t.Fatalf("outbox %+v, want smbd's opening only", rows)
		}
		alert, err := a.db.FindAlert(ctx, *rows[0].AlertID)
		if err != nil || alert.Severity != "medium" {
			t.Fatalf("queued alert %+v, %v", alert, err)
		}

		// Remediation back on: resolutions go out again.
		r = a.op("PUT", "/api/v1/config/notifications", map[string]any{"notify_on_remediation": true, "notify_on_high": true})
		if n := r.json(t)["notifications"].(map[string]any); n["notify_on_remediation"] != true || n["notify_on_auto_resolve"] != true || n["notify_on_high"] != true {
			t.Fatalf("after turning remediation on %s", r.Body)
		}
		ch = a.op("GET", "/api/v1/notifications/channels", nil).json(t)["channels"].([]any)[0].(map[string]any)
		if jsonString(ch["severities"]) != `[]` || ch["send_resolved"] != true {
			t.Fatalf("slack channel %v", ch)
		}
		// A refused webhook stores no toggle.
		expectFieldError(t, a.op("PUT", "/api/v1/config/notifications", map[string]any{"slack_webhook_url": "not a url", "notify_on_critical": false}), "body.config")
		if n := a.op("GET", "/api/v1/config", nil).json(t)["notifications"].(map[string]any); n["notify_on_critical"] != true {
			t.Fatalf("a refused save changed a toggle: %v", n)
		}
	})
}

// A channel's severity set through the channels API: stored, shown,
// cleared with [], and an unknown severity is a 422 naming the field.
func TestChannelSeveritiesAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		r := a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "phone", "type": "ntfy", "config": map[string]any{"topic": "t"},
			"min_severity": "low", "severities": []string{"low", "critical"}})
		expectStatus(t, r, 201)
		c := r.json(t)
		if jsonString(c["severities"]) != `["low","critical"]` {
			t.Fatalf("created %s", r.Body)
		}
		path := "/api/v1/notifications/channels/" + jsonString(c["id"])
		expectFieldError(t, a.op("PUT", path, map[string]any{"severities": []string{"urgent"}}), "body.severities")
		expectFieldError(t, a.op("POST", "/api/v1/notifications/channels", map[string]any{"name": "x", "type": "ntfy", "config": map[string]any{"topic": "t"},
			"severities": []string{"HIGH"}}), "body.severities")
		r = a.op("PUT", path, map[string]any{"severities": []string{}})
		expectStatus(t, r, 200)
		if jsonString(r.json(t)["severities"]) != `[]` {
			t.Fatalf("cleared %s", r.Body)
		}
	})
}
