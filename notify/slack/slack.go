// Package slack posts notifications to a Slack incoming webhook with the
// original hub's Block Kit layout.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Validation errors.
var (
	ErrNoWebhookURL  = errors.New("slack: webhook_url is required")
	ErrBadWebhookURL = errors.New("slack: webhook_url must be an http(s) URL")
)

// Config is a Slack channel. WebhookURL is a secret.
type Config struct {
	WebhookURL string `json:"webhook_url"`
}

// Validate checks the webhook URL.
func (c *Config) Validate() error {
	if c.WebhookURL == "" {
		return ErrNoWebhookURL
	}
	if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadWebhookURL
	}
	return nil
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.WebhookURL) }

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.WebhookURL} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	return []notify.ConfigField{
		{Name: "webhook_url", Label: "Webhook URL", Type: notify.FieldURL, Required: true, Secret: true,
			Help: "Incoming webhook URL from Slack (Apps → Incoming Webhooks).", Placeholder: "https://hooks.slack.com/services/…"},
	}
}

// Notifier posts to one webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
	logger *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a valid config; nil client and logger get defaults.
func New(cfg Config, client *http.Client, logger *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = notify.NewClient()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, client: client, logger: logger}, nil
}

// Notify posts the message; see notify.Post for the error classes.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(Payload(m))
	if err != nil {
		return notify.Permanent("slack: encode payload")
	}
	return notify.Post(ctx, n.client, n.cfg.WebhookURL, nil, body, n.cfg.WebhookURL)
}

type text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type block struct {
	Type     string `json:"type"`
	Text     *text  `json:"text,omitempty"`
	Fields   []text `json:"fields,omitempty"`
	Elements []text `json:"elements,omitempty"`
}

type attachment struct {
	Color  string  `json:"color"`
	Blocks []block `json:"blocks"`
}

// Message is the webhook body.
type Message struct {
	Attachments []attachment `json:"attachments"`
}

// Payload renders m as the original did: one coloured attachment with a
// header, a section of fields and a suggestion.
func Payload(m *notify.Message) Message {
	blocks := []block{{Type: "header", Text: &text{"plain_text", notify.Headline(m)}}}
	if m.Event == notify.EventTest {
		blocks = append(blocks,
			block{Type: "section", Text: &text{"mrkdwn", "Webhook configured successfully!"}},
			block{Type: "context", Elements: []text{{"mrkdwn", "Sent at " + m.At.UTC().Format("2006-01-02 15:04:05 UTC")}}})
		return Message{Attachments: []attachment{{Color: notify.Colour(m), Blocks: blocks}}}
	}
	var fields []text
	for _, f := range notify.Fields(m) {
		fields = append(fields, text{"mrkdwn", "*" + f.Name + ":*\n" + f.Value})
	}
	blocks = append(blocks, block{Type: "section", Fields: fields})
	if s := notify.Suggestion(m); s != "" {
		blocks = append(blocks, block{Type: "context", Elements: []text{{"mrkdwn", "*Suggestion:* " + s}}})
	}
	return Message{Attachments: []attachment{{Color: notify.Colour(m), Blocks: blocks}}}
}
