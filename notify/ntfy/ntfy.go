// Package ntfy publishes notifications to an ntfy server (ntfy.sh or
// self-hosted) with its JSON publishing API.
package ntfy

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
	ErrNoTopic      = errors.New("ntfy: topic is required")
	ErrBadServerURL = errors.New("ntfy: server_url must be an http(s) URL")
	ErrTwoAuths     = errors.New("ntfy: use either token or username and password, not both")
)

// DefaultServerURL is the public ntfy server.
const DefaultServerURL = "https://ntfy.sh"

// Config is an ntfy channel. Token and Password are secrets.
type Config struct {
	ServerURL string `json:"server_url,omitempty"`
	Topic     string `json:"topic"`
	Token     string `json:"token,omitempty"`
	Username  string `json:"username,omitempty"`
	Password  string `json:"password,omitempty"`
}

// Validate checks the fields and defaults the server URL.
func (c *Config) Validate() error {
	if c.ServerURL == "" {
		c.ServerURL = DefaultServerURL
	}
	c.ServerURL = strings.TrimRight(c.ServerURL, "/")
	if u, err := url.Parse(c.ServerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadServerURL
	}
	if c.Topic == "" || strings.ContainsAny(c.Topic, "/?# ") {
		return ErrNoTopic
	}
	if c.Token != "" && (c.Username != "" || c.Password != "") {
		return ErrTwoAuths
	}
	return nil
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.ServerURL) }

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.Token, &c.Password} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	return []notify.ConfigField{
		{Name: "server_url", Label: "Server URL", Type: notify.FieldURL, Default: DefaultServerURL, Help: "Your ntfy server; ntfy.sh when empty."},
		{Name: "topic", Label: "Topic", Type: notify.FieldString, Required: true, Pattern: "[^/?# ]+", Help: "Topic to publish to (no /, ?, # or spaces)."},
		{Name: "token", Label: "Access token", Type: notify.FieldString, Secret: true, Help: "For a protected topic: a token, or a username and password (not both)."},
		{Name: "username", Label: "Username", Type: notify.FieldString},
		{Name: "password", Label: "Password", Type: notify.FieldString, Secret: true},
	}
}

// Notifier publishes to one topic.
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

// Publish is ntfy's JSON publish body.
type Publish struct {
	Topic    string   `json:"topic"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Priority int      `json:"priority"`
	Tags     []string `json:"tags,omitempty"`
}

// Payload maps severity to ntfy priority (critical 5, high 4, medium 3,
// resolved 3) and adds an emoji tag.
func (n *Notifier) Payload(m *notify.Message) Publish {
	p := Publish{Topic: n.cfg.Topic, Title: notify.Headline(m), Message: notify.PlainText(m), Priority: 3}
	switch {
	case m.Event == notify.EventResolved:
		p.Tags = []string{"white_check_mark"}
	case m.Event == notify.EventTest:
		p.Message, p.Tags = "Channel configured successfully!", []string{"bell"}
	case m.Severity == "critical":
		p.Priority, p.Tags = 5, []string{"rotating_light"}
	case m.Severity == "high":
		p.Priority, p.Tags = 4, []string{"warning"}
	default:
		p.Tags = []string{"information_source"}
	}
	return p
}

// Notify publishes the message.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(n.Payload(m))
	if err != nil {
		return notify.Permanent("ntfy: encode payload")
	}
	h := http.Header{}
	switch {
	case n.cfg.Token != "":
		h.Set("Authorization", "Bearer "+n.cfg.Token)
	case n.cfg.Username != "":
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.SetBasicAuth(n.cfg.Username, n.cfg.Password)
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	return notify.Post(ctx, n.client, n.cfg.ServerURL, h, body, n.cfg.Token, n.cfg.Password)
}
