package httpapi_test

import (
	"strings"
	"testing"
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
