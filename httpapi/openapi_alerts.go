package httpapi

import (
	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// alertOperations documents the alerting and notification routes
// (alerts.go, thresholds.go, channels.go).
func alertOperations() []operation {
	sev := enum("critical", "high", "medium", "low")
	alertType := enum(anys(homelabcmd.AlertKindNames())...)
	legacyNotifications := object(p("slack_webhook_url", str()),
		p("cooldowns", object(p("critical_minutes", integer()), p("high_minutes", integer()))),
		p("notify_on_critical", boolean()), p("notify_on_high", boolean()), p("notify_on_auto_resolve", boolean()),
		p("notify_on_remediation", boolean()), p("notify_on_action_failure", boolean()), p("notify_on_action_success", boolean()))
	alert := object(p("id", integer()), p("server_id", str()), p("server_name", str()),
		p("alert_type", alertType), p("severity", sev),
		p("status", enum("open", "acknowledged", "resolved")), p("title", str()), p("message", nullable(str())),
		p("service_name", nullable(str())), p("threshold_value", nullable(schema{"type": "number"})), p("actual_value", nullable(schema{"type": "number"})),
		p("created_at", dateTime()), p("updated_at", dateTime()), p("acknowledged_at", nullable(dateTime())), p("resolved_at", nullable(dateTime())),
		p("auto_resolved", boolean()), p("can_acknowledge", boolean()), p("can_resolve", boolean()),
		p("notified_at", with(nullable(dateTime()), "description", "When its opening was notified; null while not (opened on a paused server).")),
		p("resolution_reason", with(nullable(str()), "description", "Why it resolved when no rule resolved it, e.g. expected service deleted.")),
		p("acknowledged_by", with(nullable(str()), "description", "Who did it by hand (a user, token:<name>, api-key, mcp:…); null for the rules.")), p("resolved_by", with(nullable(str()), "description", "Who did it by hand (a user, token:<name>, api-key, mcp:…); null for the rules.")))
	pct := with(integer(), "minimum", 0, "maximum", 100)
	metric := object(p("high_percent", pct), p("critical_percent", pct), p("sustained_seconds", with(integer(), "minimum", 0, "maximum", 600)),
		opt("sustained_heartbeats", nullable(with(integer(), "minimum", 0, "maximum", 10))))
	thresholds := object(append(metricProps(metric),
		p("server_offline_seconds", with(integer(), "minimum", 30, "maximum", 86400)),
		p("offline_severity", with(sev, "description", "Severity of a server-offline alert (default critical).")),
		p("replayed_outages", with(boolean(), "description", "Notify (low) an outage seen only in heartbeats the agent replayed after the hub could not hear it (default true).")),
		p("group_seconds", with(integer(), "minimum", 0, "maximum", 300, "description", "Alerts opening on one server within this long of a notified opening go out as one notification when it ends (default 10; 0: at once).")),
		p("group_wait_seconds", with(integer(), "minimum", 0, "maximum", 300, "description", "Hold even the first opening of a server this long so openings within it go out as one notification (default 0: the first at once).")),
		p("security_updates_days", with(integer(), "minimum", 0, "maximum", 365, "description", "Open a medium alert when a server has reported pending security updates for this many days (default 0: off).")),
		p("flapping", with(object(p("changes", with(integer(), "minimum", 3, "maximum", 100)), p("window_seconds", with(integer(), "minimum", 10, "maximum", 86400)),
			p("stable_seconds", with(integer(), "minimum", 10, "maximum", 86400)), p("recovery_hold_seconds", with(integer(), "minimum", 0, "maximum", 600))),
			"description", "Flap control: changes within window_seconds make a service flapping (one notification); stable_seconds calm ends it.")),
		p("crash_loop", with(object(p("restarts", with(integer(), "minimum", 2, "maximum", 64)), p("window_seconds", with(integer(), "minimum", 10, "maximum", 86400))),
			"description", "A unit restarted this many times within the window is a crash loop, even while it reports running.")),
		p("reminders", object(p("critical_minutes", with(integer(), "minimum", 5, "maximum", 1440)), p("high_minutes", with(integer(), "minimum", 15, "maximum", 1440)))))...)
	kinds := enum(anys(registry.Kinds())...)
	channel := object(p("id", integer()), p("name", str()), p("type", kinds),
		p("config", with(object(), "description", "Provider config; secrets (tokens, passwords, webhook URLs) show as ********. Send them back unchanged to keep them.", "additionalProperties", true)),
		p("min_severity", sev), p("send_resolved", boolean()), p("enabled", boolean()), p("created_at", dateTime()), p("updated_at", dateTime()),
		p("server_ids", with(arrayOf(str()), "description", "Only alerts of these servers; empty: all.")),
		p("alert_types", with(arrayOf(alertType), "description", "Only alerts of these kinds; empty: all.")),
		p("severities", with(arrayOf(sev), "description", "Only alerts of these severities (and at least min_severity); empty: all.")))
	channelBody := object(p("name", with(str(), "minLength", 1, "maxLength", 100)), p("type", kinds), p("config", with(object(), "additionalProperties", true)),
		opt("min_severity", with(sev, "default", "medium")), opt("send_resolved", with(boolean(), "default", true)), opt("enabled", with(boolean(), "default", true)),
		opt("server_ids", arrayOf(str())), opt("alert_types", arrayOf(alertType)), opt("severities", arrayOf(sev)))
	hhmm := with(str(), "pattern", `^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	days := arrayOf(enum("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
	window := object(p("id", integer()), p("name", str()), p("server_id", with(nullable(str()), "description", "null: fleet-wide.")),
		p("weekdays", with(days, "description", "Days it starts on; empty: every day.")), p("start", hhmm), p("end", hhmm),
		p("time_zone", with(str(), "description", "IANA time zone, e.g. Europe/Berlin.")), p("page_critical", boolean()), p("created_at", dateTime()))
	windowBody := object(p("name", with(str(), "minLength", 1, "maxLength", 100)), opt("server_id", nullable(str())), opt("weekdays", days),
		p("start", hhmm), p("end", hhmm), opt("time_zone", with(str(), "default", "UTC")), opt("page_critical", with(boolean(), "default", false)))
	page := []param{
		{Name: "limit", Desc: "Page size.", Schema: with(integer(), "minimum", 1, "maximum", 100, "default", 50)},
		{Name: "offset", Desc: "Rows to skip.", Schema: with(integer(), "minimum", 0, "default", 0)},
	}
	return []operation{
		{Route: "GET /api/v1/alerts", Tag: "alerts", Summary: "List alerts, newest first", Auth: authOperator,
			Query: append([]param{
				{Name: "status", Desc: "Only this status.", Schema: enum("open", "acknowledged", "resolved")},
				{Name: "severity", Desc: "Only this severity.", Schema: sev},
				{Name: "server_id", Desc: "Only this server.", Schema: str()},
				{Name: "alert_type", Desc: "Only this type.", Schema: alertType},
			}, page...),
			Result: object(p("alerts", arrayOf(alert)), p("total", integer()), p("limit", integer()), p("offset", integer())), Errors: []int{422}},
		{Route: "GET /api/v1/alerts/{alid}", Tag: "alerts", Summary: "Get an alert", Auth: authOperator, Result: alert, Errors: []int{404, 422}},
		{Route: "POST /api/v1/alerts/{alid}/acknowledge", Tag: "alerts", Summary: "Acknowledge an alert (stops reminders)", Auth: authOperator,
			Doc:    "Allowed while the service is still down; the alert still resolves by itself when the condition clears. Idempotent.",
			Result: object(p("id", integer()), p("status", enum("acknowledged")), p("acknowledged_at", dateTime()), p("acknowledged_by", nullable(str()))), Errors: []int{400, 404, 422}},
		{Route: "POST /api/v1/alerts/{alid}/resolve", Tag: "alerts", Summary: "Resolve an alert by hand", Auth: authOperator,
			Doc:    "If the condition persists, the next evaluation opens a new alert. Idempotent.",
			Result: object(p("id", integer()), p("status", enum("resolved")), p("resolved_at", dateTime()), p("auto_resolved", boolean()), p("resolved_by", nullable(str()))), Errors: []int{404, 422}},
		{Route: "GET /api/v1/config", Tag: "alerts", Summary: "Thresholds and the original's notifications setting", Auth: authOperator,
			Doc:    "Compatibility with the original hub: notifications.slack_webhook_url is \"********\" when a channel named \"slack\" exists; cooldowns are the reminder intervals.",
			Result: object(p("thresholds", thresholds), p("notifications", legacyNotifications))},
		{Route: "PUT /api/v1/config/notifications", Tag: "alerts", Summary: "Update the original's notifications setting", Auth: authOperator,
			Doc: "slack_webhook_url creates, updates or (empty) removes the channel named \"slack\"; cooldowns set the reminder intervals (critical 5-1440, high 15-1440 minutes); notify_on_critical and notify_on_high set that channel's severities (medium always goes out); notify_on_remediation and notify_on_auto_resolve together are its send_resolved. Toggles are kept when no webhook is set yet; notify_on_action_* are accepted and ignored (the original sent no action notifications).",
			Body: object(p("slack_webhook_url", str()), p("cooldowns", object(p("critical_minutes", integer()), p("high_minutes", integer()))),
				p("notify_on_critical", boolean()), p("notify_on_high", boolean()), p("notify_on_remediation", boolean()), p("notify_on_auto_resolve", boolean())),
			Result: object(p("updated", arrayOf(str())), p("notifications", legacyNotifications))},
		{Route: "GET /api/v1/alerts/pending", Tag: "alerts", Summary: "Metric breaches still inside their sustain window", Auth: authOperator,
			Doc: "What will alert, and when: CPU or memory over its high threshold for less than sustained_seconds, with no alert open yet.",
			Result: object(p("pending", arrayOf(object(p("server_id", str()), p("server_name", str()), p("metric_type", enum(anys(homelabcmd.MetricKinds())...)),
				p("current_value", nullable(schema{"type": "number"})), p("threshold_value", integer()), p("severity", enum("high", "critical")),
				p("first_breach_at", dateTime()), p("sustained_seconds", integer()), p("elapsed_seconds", integer()), p("time_until_alert", integer())))),
				p("total", integer()))},
		{Route: "GET /api/v1/alerts/kinds", Tag: "alerts", Summary: "The kinds of alert, with their labels and metric defaults", Auth: authOperator,
			Doc: "One row per alert_type, in a stable order. metric is set for host metric rules: the heartbeat field they read, its unit and the default thresholds; threshold_key is the kind's key in /config/thresholds.",
			Result: object(p("kinds", arrayOf(object(p("name", alertType), p("label", str()), p("per_service", boolean()),
				p("threshold_key", nullable(str())), p("hint", str()),
				p("metric", nullable(object(p("unit", str()), p("field", str()), p("high_percent", pct), p("critical_percent", pct),
					p("sustained_seconds", with(integer(), "minimum", 0, "maximum", 600)))))))))},
		{Route: "GET /api/v1/config/thresholds", Tag: "alerts", Summary: "Alert thresholds", Auth: authOperator, Result: thresholds},
		{Route: "PUT /api/v1/config/thresholds", Tag: "alerts", Summary: "Update alert thresholds (only the fields given)", Auth: authOperator,
			Body: thresholds, Result: object(p("updated", arrayOf(str())), p("thresholds", thresholds)),
			Doc: "critical_percent must stay above high_percent; sustained_heartbeats (deprecated) becomes sustained_seconds = n × 60 when sustained_seconds is 0."},
		{Route: "GET /api/v1/config/pinned", Tag: "alerts", Summary: "Thresholds the hub's configuration sets explicitly", Auth: authOperator,
			Doc:    "One rule: a setting given by flag, environment variable or config file wins over the value stored from the dashboard; PUT /config/thresholds refuses to change it (422). Keys are threshold keys (server_offline_seconds ← offline_timeout).",
			Result: object(p("pinned", with(object(), "additionalProperties", object(p("option", str()), p("source", enum("flag", "env", "file")), p("via", str()), p("value", str())))))},
		{Route: "GET /api/v1/notifications/providers", Tag: "notifications", Summary: "The providers and the fields of their config", Auth: authOperator,
			Doc: "One entry per channel type with its config keys: type (string, url, int, bool, list, enum), required, secret (masked when read; send the mask back to keep it), help, default and validation hints. The dashboard's channel form is generated from it.",
			Result: object(p("providers", arrayOf(object(p("type", kinds), p("label", str()), p("fields", arrayOf(object(
				p("name", str()), p("label", str()), p("type", enum("string", "url", "int", "bool", "list", "enum")), p("required", boolean()), p("secret", boolean()),
				opt("help", str()), opt("default", schema{}), opt("placeholder", str()), opt("options", arrayOf(str())),
				opt("min_length", integer()), opt("min", integer()), opt("max", integer()), opt("pattern", str()))))))))},
		{Route: "GET /api/v1/notifications/channels", Tag: "notifications", Summary: "List notification channels", Auth: authOperator,
			Result: object(p("channels", arrayOf(channel)), p("total", integer()), p("types", arrayOf(kinds)))},
		{Route: "POST /api/v1/notifications/channels", Tag: "notifications", Summary: "Add a notification channel", Auth: authOperator,
			Body: channelBody, Status: 201, Result: channel, Errors: []int{409}},
		{Route: "GET /api/v1/notifications/channels/{cid}", Tag: "notifications", Summary: "Get a channel", Auth: authOperator, Result: channel, Errors: []int{404, 422}},
		{Route: "PUT /api/v1/notifications/channels/{cid}", Tag: "notifications", Summary: "Update a channel (only the fields given)", Auth: authOperator,
			Body:   object(opt("name", str()), opt("config", with(object(), "additionalProperties", true)), opt("min_severity", sev), opt("send_resolved", boolean()), opt("enabled", boolean())),
			Result: channel, Errors: []int{404, 409}},
		{Route: "DELETE /api/v1/notifications/channels/{cid}", Tag: "notifications", Summary: "Delete a channel and its queued notifications", Auth: authOperator,
			Status: 204, Errors: []int{404, 422}},
		{Route: "GET /api/v1/maintenance-windows", Tag: "alerts", Summary: "List maintenance windows (quiet hours)", Auth: authOperator,
			Result: object(p("windows", arrayOf(window)), p("total", integer()))},
		{Route: "POST /api/v1/maintenance-windows", Tag: "alerts", Summary: "Add a recurring maintenance window", Auth: authOperator,
			Body: windowBody, Status: 201, Result: window, Errors: []int{404},
			Doc: "While it is active alerts are recorded but not notified (critical ones still page with page_critical); alerts still open when it ends are notified then. End at or before start runs past midnight; equal means all day."},
		{Route: "DELETE /api/v1/maintenance-windows/{wid}", Tag: "alerts", Summary: "Delete a maintenance window", Auth: authOperator,
			Status: 204, Errors: []int{404, 422}},
		{Route: "POST /api/v1/notifications/channels/{cid}/test", Tag: "notifications", Summary: "Send a test message now", Auth: authOperator,
			Result: object(p("success", boolean()), opt("message", str()), opt("error", str()), opt("retryable", boolean())), Errors: []int{404, 422}},
	}
}

// metricProps is one thresholds property per metric kind, in table order.
func metricProps(metric schema) []prop {
	var out []prop
	for _, name := range homelabcmd.MetricKinds() {
		out = append(out, p(name, metric))
	}
	return out
}

// anys converts enum values for enum().
func anys(vals []string) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}
