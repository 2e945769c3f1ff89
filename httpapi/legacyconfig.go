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

func (s *Server) legacyNotifications(ctx context.Context, th alerting.Thresholds) (map[string]any, error) {
	list, err := s.store.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	url, sendResolved := "", true
	for _, c := range list {
		if c.Name == legacySlackChannel && c.Type == "slack" {
			url, sendResolved = "********", c.SendResolved // a secret: never shown
		}
	}
	return map[string]any{
		"slack_webhook_url":  url,
		"cooldowns":          map[string]int{"critical_minutes": th.Reminders.CriticalMinutes, "high_minutes": th.Reminders.HighMinutes},
		"notify_on_critical": true, "notify_on_high": true, "notify_on_auto_resolve": sendResolved,
		"notify_on_remediation": false, "notify_on_action_failure": false, "notify_on_action_success": false,
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
// "slack" channel; cooldowns set the reminder intervals;
// notify_on_auto_resolve is the channel's "send resolved".
func (s *Server) handlePutLegacyNotifications(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SlackWebhookURL     *string                  `json:"slack_webhook_url"`
		Cooldowns           *alerting.RemindersPatch `json:"cooldowns"`
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
	if body.SlackWebhookURL != nil || body.NotifyOnAutoResolve != nil {
		if err := s.applyLegacySlack(ctx, body.SlackWebhookURL, body.NotifyOnAutoResolve); err != nil {
			s.writeError(w, r, err)
			return
		}
		if body.SlackWebhookURL != nil {
			updated = append(updated, "slack_webhook_url")
		}
		if body.NotifyOnAutoResolve != nil {
			updated = append(updated, "notify_on_auto_resolve")
		}
	}
	n, err := s.legacyNotifications(ctx, th)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"updated": updated, "notifications": n})
}

func (s *Server) applyLegacySlack(ctx context.Context, url *string, sendResolved *bool) error {
	list, err := s.store.ListChannels(ctx)
	if err != nil {
		return err
	}
	var existing *homelabcmd.Channel
	for i := range list {
		if list[i].Name == legacySlackChannel {
			existing = &list[i]
		}
	}
	switch {
	case url != nil && *url == "" && existing != nil:
		return s.store.DeleteChannel(ctx, existing.ID)
	case url != nil && *url == "":
		return nil
	case existing != nil:
		upd := homelabcmd.ChannelUpdate{SendResolved: sendResolved}
		if url != nil {
			upd.Config, _ = json.Marshal(map[string]string{"webhook_url": *url})
		}
		_, err := s.engine.UpdateChannel(ctx, existing.ID, upd)
		return err
	case url == nil:
		return homelabcmd.FieldError("slack_webhook_url", "no Slack webhook is set yet; send slack_webhook_url first")
	}
	cfg, _ := json.Marshal(map[string]string{"webhook_url": *url})
	c := notify.NewChannel(legacySlackChannel, "slack", cfg)
	// The original sent every severity to its webhook (medium included).
	c.MinSeverity = homelabcmd.SeverityMedium
	if sendResolved != nil {
		c.SendResolved = *sendResolved
	}
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
