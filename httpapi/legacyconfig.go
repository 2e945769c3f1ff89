package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// The original hub kept one Slack webhook and two reminder intervals in a
// "notifications" setting (contract §3.8). Here channels are first-class;
// GET /config and PUT /config/notifications map that setting onto a channel
// named "slack" and the reminder intervals, so the original's scripts and
// settings page keep working.

// legacySlackChannel is the channel the original's slack_webhook_url maps to.
const legacySlackChannel = "slack"

// legacyTogglesKey stores the original's toggles (they outlive the channel:
// the original kept them with no webhook set).
const legacyTogglesKey = "legacy_notification_toggles"

// legacyToggles are the original's switches that we apply to the "slack"
// channel: critical and high alerts each need theirs (medium always went
// out); resolutions need both notify_on_remediation and
// notify_on_auto_resolve, as the original's Slack notifier gated them
// (contract §6.8; its action notifications were never sent).
type legacyToggles struct {
	Critical    bool `json:"notify_on_critical"`
	High        bool `json:"notify_on_high"`
	Remediation bool `json:"notify_on_remediation"`
	AutoResolve bool `json:"notify_on_auto_resolve"`
}

func (s *Server) legacyToggles(ctx context.Context) (legacyToggles, error) {
	t := legacyToggles{Critical: true, High: true, Remediation: true, AutoResolve: true}
	v, ok, err := s.store.GetConfig(ctx, legacyTogglesKey)
	if err == nil && ok {
		err = json.Unmarshal([]byte(v), &t)
	}
	return t, err
}

// severities is the channel's severity set: medium always, critical and
// high as toggled; nil (all) when both are on.
func (t legacyToggles) severities() []string {
	if t.Critical && t.High {
		return []string{}
	}
	out := []string{homelabcmd.SeverityMedium}
	if t.High {
		out = append(out, homelabcmd.SeverityHigh)
	}
	if t.Critical {
		out = append(out, homelabcmd.SeverityCritical)
	}
	return out
}

func (s *Server) legacySlack(ctx context.Context) (*homelabcmd.Channel, error) {
	list, err := s.store.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Name == legacySlackChannel {
			return &list[i], nil
		}
	}
	return nil, nil
}

func (s *Server) legacyNotifications(ctx context.Context, th alerting.Thresholds) (map[string]any, error) {
	t, err := s.legacyToggles(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.legacySlack(ctx)
	if err != nil {
		return nil, err
	}
	url := ""
	if c != nil && c.Type == "slack" {
		// The channel is what is applied: show it (an edit through the
		// channels API included). A secret URL is never shown.
		url = "********"
		t.Critical = notify.TakesSeverity(c, homelabcmd.SeverityCritical)
		t.High = notify.TakesSeverity(c, homelabcmd.SeverityHigh)
		if t.Remediation {
			t.AutoResolve = c.SendResolved
		}
	}
	return map[string]any{
		"slack_webhook_url":  url,
		"cooldowns":          map[string]int{"critical_minutes": th.Reminders.CriticalMinutes, "high_minutes": th.Reminders.HighMinutes},
		"notify_on_critical": t.Critical, "notify_on_high": t.High, "notify_on_auto_resolve": t.AutoResolve,
		"notify_on_remediation": t.Remediation, "notify_on_action_failure": false, "notify_on_action_success": false,
	}, nil
}

// handleGetConfig answers the original's GET /config: thresholds and the
// notifications setting.
func (s *Server) handleGetConfig(w http.ResponseWriter, r *http.Request) {
	th, err := s.engine.Thresholds(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.legacyNotifications(r.Context(), th)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"thresholds": th, "notifications": n})
}

// handlePutLegacyNotifications takes the original's partial notifications
// setting: slack_webhook_url creates, updates or (when empty) removes the
// "slack" channel; cooldowns set the reminder intervals; the toggles are
// stored and applied to that channel (legacyToggles).
func (s *Server) handlePutLegacyNotifications(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SlackWebhookURL     *string                  `json:"slack_webhook_url"`
		Cooldowns           *alerting.RemindersPatch `json:"cooldowns"`
		NotifyOnCritical    *bool                    `json:"notify_on_critical"`
		NotifyOnHigh        *bool                    `json:"notify_on_high"`
		NotifyOnRemediation *bool                    `json:"notify_on_remediation"`
		NotifyOnAutoResolve *bool                    `json:"notify_on_auto_resolve"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	updated := []string{}
	th, err := s.engine.Thresholds(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Cooldowns != nil {
		var changed []string
		if th, changed, err = s.engine.UpdateThresholds(ctx, alerting.ThresholdsPatch{Reminders: body.Cooldowns}); err != nil {
			s.writeError(w, r, renameField(err, "reminders", "cooldowns"))
			return
		}
		for _, c := range changed {
			updated = append(updated, "cooldowns"+c[len("reminders"):])
		}
	}
	t, err := s.legacyToggles(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	toggles := []struct {
		name string
		in   *bool
		to   *bool
	}{{"notify_on_critical", body.NotifyOnCritical, &t.Critical}, {"notify_on_high", body.NotifyOnHigh, &t.High},
		{"notify_on_remediation", body.NotifyOnRemediation, &t.Remediation}, {"notify_on_auto_resolve", body.NotifyOnAutoResolve, &t.AutoResolve}}
	toggled := false
	for _, f := range toggles {
		if f.in != nil {
			*f.to, toggled = *f.in, true
		}
	}
	if body.SlackWebhookURL != nil || toggled {
		if err := s.applyLegacySlack(ctx, body.SlackWebhookURL, t); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if toggled { // after the channel, which may refuse the URL (422)
		b, _ := json.Marshal(t)
		if err := s.store.SetConfig(ctx, legacyTogglesKey, string(b)); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if body.SlackWebhookURL != nil {
		updated = append(updated, "slack_webhook_url")
	}
	for _, f := range toggles {
		if f.in != nil {
			updated = append(updated, f.name)
		}
	}
	n, err := s.legacyNotifications(ctx, th)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"updated": updated, "notifications": n})
}

// applyLegacySlack creates, updates or removes the "slack" channel from
// the webhook URL (nil: unchanged) and the toggles.
func (s *Server) applyLegacySlack(ctx context.Context, url *string, t legacyToggles) error {
	existing, err := s.legacySlack(ctx)
	if err != nil {
		return err
	}
	sevs, resolved := t.severities(), t.Remediation && t.AutoResolve
	switch {
	case url != nil && *url == "" && existing != nil:
		return s.store.DeleteChannel(ctx, existing.ID)
	case url != nil && *url == "", url == nil && existing == nil:
		return nil // the toggles wait for a webhook
	case existing != nil:
		upd := homelabcmd.ChannelUpdate{SendResolved: &resolved, Severities: &sevs}
		if url != nil {
			upd.Config, _ = json.Marshal(map[string]string{"webhook_url": *url})
		}
		_, err := s.engine.UpdateChannel(ctx, existing.ID, upd)
		return err
	}
	cfg, _ := json.Marshal(map[string]string{"webhook_url": *url})
	c := notify.NewChannel(legacySlackChannel, "slack", cfg)
	// The original sent every severity to its webhook (medium included).
	c.MinSeverity = homelabcmd.SeverityMedium
	c.SendResolved, c.Severities = resolved, sevs
	return s.engine.CreateChannel(ctx, c)
}

// renameField reports a validation error under the name the client sent.
func renameField(err error, from, to string) error {
	if e, ok := err.(*homelabcmd.Error); ok && len(e.Field) >= len(from) && e.Field[:len(from)] == from {
		return &homelabcmd.Error{Code: e.Code, Field: to + e.Field[len(from):], Message: e.Message, Data: e.Data}
	}
	return err
}

// handleTestWebhook is the original's POST /config/test-webhook: it sends
// the test message to the Slack webhook in the body (not stored) and
// always answers 200 with success or the error (the URL scrubbed from it).
func (s *Server) handleTestWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		WebhookURL *string `json:"webhook_url"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.WebhookURL == nil || *body.WebhookURL == "" {
		s.writeError(w, r, homelabcmd.FieldError("webhook_url", "webhook_url is required"))
		return
	}
	cfg, _ := json.Marshal(map[string]string{"webhook_url": *body.WebhookURL})
	n, err := registry.Build("slack", cfg, s.NotifyGuard, s.logger)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": "Invalid webhook URL"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := n.Notify(ctx, testMessage(time.Now())); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": notify.Scrub(err.Error(), registry.Secrets("slack", cfg)...)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Test message sent successfully"})
}
