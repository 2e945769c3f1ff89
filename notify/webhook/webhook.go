// Package webhook posts the notification as generic JSON with an
// HMAC-SHA256 signature of the body, so a receiver can check its origin.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Headers the receiver reads.
const (
	// SignatureHeader holds "sha256=" + hex HMAC-SHA256 of the body.
	SignatureHeader = "X-Homelabcmd-Signature"
	// EventHeader holds the message's event (opened, resolved, …).
	EventHeader = "X-Homelabcmd-Event"
	// IDHeader holds the message id; a redelivery repeats it.
	IDHeader = "Idempotency-Key"
)

// Validation errors.
var (
	ErrBadURL   = errors.New("webhook: url must be an http(s) URL")
	ErrNoSecret = errors.New("webhook: secret (the HMAC key) must be at least 16 characters")
)

// Config is a webhook channel. URL and Secret are secrets.
type Config struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// Validate checks the URL and the key.
func (c *Config) Validate() error {
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadURL
	}
	if len(c.Secret) < 16 {
		return ErrNoSecret
	}
	return nil
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.URL) }

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.URL, &c.Secret} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	return []notify.ConfigField{
		{Name: "url", Label: "URL", Type: notify.FieldURL, Required: true, Secret: true, Help: "Receives a JSON POST per notification.", Placeholder: "https://example.org/hook"},
		{Name: "secret", Label: "Signing secret", Type: notify.FieldString, Required: true, Secret: true, MinLength: 16,
			Help: "HMAC-SHA256 key (at least 16 characters); the signature is in the " + SignatureHeader + " header."},
	}
}

// Notifier posts to one URL.
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

// Sign returns the signature header value of body under key.
func Sign(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header in constant time.
func Verify(key string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(signature))
}

// Notify posts the message as JSON (notify.Message's fields).
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return notify.Permanent("webhook: encode payload")
	}
	h := http.Header{}
	h.Set(SignatureHeader, Sign(n.cfg.Secret, body))
	h.Set(EventHeader, m.Event)
	if m.ID != "" {
		h.Set(IDHeader, m.ID)
	}
	return notify.Post(ctx, n.client, n.cfg.URL, h, body, n.cfg.URL, n.cfg.Secret)
}
