// Package gotify sends notifications to a Gotify server as application
// messages.
package gotify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Validation errors.
var (
	ErrBadServerURL = errors.New("gotify: server_url must be an http(s) URL")
	ErrNoToken      = errors.New("gotify: token (an application token) is required")
)

// Config is a Gotify channel. Token is a secret.
type Config struct {
	ServerURL string `json:"server_url"`
	Token     string `json:"token"`
}

// Validate checks the fields.
func (c *Config) Validate() error {
	c.ServerURL = strings.TrimRight(c.ServerURL, "/")
	if u, err := url.Parse(c.ServerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadServerURL
	}
	if c.Token == "" {
		return ErrNoToken
	}
	return nil
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.ServerURL) }

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.Token} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	return []notify.ConfigField{
		{Name: "server_url", Label: "Server URL", Type: notify.FieldURL, Required: true, Placeholder: "https://gotify.example.org"},
		{Name: "token", Label: "Application token", Type: notify.FieldString, Required: true, Secret: true, Help: "Apps → create an application → its token."},
	}
}

// Notifier posts to one Gotify application.
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

// Message is Gotify's POST /message body.
type Message struct {
	Title    string         `json:"title"`
	Message  string         `json:"message"`
	Priority int            `json:"priority"`
	Extras   map[string]any `json:"extras,omitempty"`
}

// Payload maps severity to Gotify priority (critical 8, high 6, medium 4,
// resolved and test 2).
func Payload(m *notify.Message) Message {
	p := map[string]int{"critical": 8, "high": 6, "medium": 4}[m.Severity]
	if m.Event == notify.EventResolved || m.Event == notify.EventTest || p == 0 {
		p = 2
	}
	return Message{Title: notify.Headline(m), Message: notify.PlainText(m), Priority: p,
		Extras: map[string]any{"client::display": map[string]string{"contentType": "text/plain"}}}
}

// Notify posts the message with the token in the X-Gotify-Key header (never
// in the URL, where proxies log it).
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(Payload(m))
	if err != nil {
		return notify.Permanent("gotify: encode payload")
	}
	h := http.Header{}
	h.Set("X-Gotify-Key", n.cfg.Token)
	return notify.Post(ctx, n.client, n.cfg.ServerURL+"/message", h, body, n.cfg.Token)
}
