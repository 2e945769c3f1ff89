// Package discord posts notifications to a Discord webhook as one embed.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Validation errors.
var (
	ErrNoWebhookURL  = errors.New("discord: webhook_url is required")
	ErrBadWebhookURL = errors.New("discord: webhook_url must be an http(s) URL")
)

// Config is a Discord channel. WebhookURL is a secret.
type Config struct {
	WebhookURL string `json:"webhook_url"`
	Username   string `json:"username,omitempty"`
}

// Validate checks the webhook URL and defaults the username.
func (c *Config) Validate() error {
	if c.WebhookURL == "" {
		return ErrNoWebhookURL
	}
	if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadWebhookURL
	}
	if c.Username == "" {
		c.Username = "HomelabCmd"
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
			Help: "Channel settings → Integrations → Webhooks → Copy Webhook URL.", Placeholder: "https://discord.com/api/webhooks/…"},
		{Name: "username", Label: "Bot name", Type: notify.FieldString, Default: "HomelabCmd", Help: "Name the messages are posted under."},
	}
}

// Notifier posts to one webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a valid config.
func New(cfg Config, client *http.Client, _ *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = notify.NewClient()
	}
	return &Notifier{cfg: cfg, client: client}, nil
}

// Field is an embed field.
type Field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// Embed is one Discord embed.
type Embed struct {
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Color       int     `json:"color"`
	Fields      []Field `json:"fields,omitempty"`
	Footer      *Footer `json:"footer,omitempty"`
	Timestamp   string  `json:"timestamp"`
}

// Footer holds the suggestion.
type Footer struct {
	Text string `json:"text"`
}

// Message is the webhook body.
type Message struct {
	Username string  `json:"username"`
	Embeds   []Embed `json:"embeds"`
}

// Payload renders m as one embed coloured by severity.
func (n *Notifier) Payload(m *notify.Message) Message {
	colour, _ := strconv.ParseInt(strings.TrimPrefix(notify.Colour(m), "#"), 16, 32)
	e := Embed{Title: notify.Headline(m), Description: m.Text, Color: int(colour), Timestamp: m.At.UTC().Format("2006-01-02T15:04:05Z")}
	for _, f := range notify.Fields(m) {
		e.Fields = append(e.Fields, Field{Name: f.Name, Value: f.Value, Inline: true})
	}
	if s := notify.Suggestion(m); s != "" {
		e.Footer = &Footer{Text: "Suggestion: " + s}
	}
	return Message{Username: n.cfg.Username, Embeds: []Embed{e}}
}

// Notify posts the message; 429 (Discord's rate limit) is retryable.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(n.Payload(m))
	if err != nil {
		return notify.Permanent("discord: encode payload")
	}
	return notify.Post(ctx, n.client, n.cfg.WebhookURL, nil, body, n.cfg.WebhookURL)
}
