// Package pushover sends notifications through Pushover's message API,
// with the priority following the alert's severity and emergency priority
// (repeated until acknowledged) for critical alerts.
package pushover

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
	ErrNoToken   = errors.New("pushover: token (the application's API token) is required")
	ErrNoUserKey = errors.New("pushover: user_key (a user or group key) is required")
	ErrBadAPIURL = errors.New("pushover: api_url must be an http(s) URL")
	ErrRetry     = errors.New("pushover: emergency_retry must be at least 30 seconds")
	ErrExpire    = errors.New("pushover: emergency_expire must be between emergency_retry and 10800 seconds")
)

// Defaults.
const (
	DefaultAPIURL = "https://api.pushover.net"
	// DefaultRetry is how often, in seconds, an emergency is repeated
	// until acknowledged (Pushover's minimum is 30).
	DefaultRetry = 60
	// DefaultExpire is when, in seconds, an emergency stops repeating
	// (Pushover's maximum is 10800).
	DefaultExpire = 3600
)

// Pushover priorities.
const (
	PriorityQuiet     = -1
	PriorityNormal    = 0
	PriorityHigh      = 1
	PriorityEmergency = 2
)

// Config is a Pushover channel. Token and UserKey are secrets.
type Config struct {
	APIURL  string `json:"api_url,omitempty"`
	Token   string `json:"token"`
	UserKey string `json:"user_key"`
	// Device limits delivery to these devices (comma-separated names).
	Device string `json:"device,omitempty"`
	Sound  string `json:"sound,omitempty"`
	// EmergencyRetry and EmergencyExpire are in seconds.
	EmergencyRetry  int `json:"emergency_retry,omitempty"`
	EmergencyExpire int `json:"emergency_expire,omitempty"`
}

// Validate checks the fields and fills the defaults.
func (c *Config) Validate() error {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadAPIURL
	}
	if c.Token == "" {
		return ErrNoToken
	}
	if c.UserKey == "" {
		return ErrNoUserKey
	}
	if c.EmergencyRetry == 0 {
		c.EmergencyRetry = DefaultRetry
	}
	if c.EmergencyExpire == 0 {
		c.EmergencyExpire = DefaultExpire
	}
	if c.EmergencyRetry < 30 {
		return ErrRetry
	}
	if c.EmergencyExpire < c.EmergencyRetry || c.EmergencyExpire > 10800 {
		return ErrExpire
	}
	return nil
}

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.Token, &c.UserKey} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	minRetry, maxRetry := notify.IntRange(30, 10800)
	minExp, maxExp := notify.IntRange(30, 10800)
	return []notify.ConfigField{
		{Name: "token", Label: "Application token", Type: notify.FieldString, Required: true, Secret: true},
		{Name: "user_key", Label: "User key", Type: notify.FieldString, Required: true, Secret: true},
		{Name: "device", Label: "Devices", Type: notify.FieldString, Help: "Only these devices (comma-separated names); all when empty."},
		{Name: "sound", Label: "Sound", Type: notify.FieldString},
		{Name: "emergency_retry", Label: "Emergency retry (s)", Type: notify.FieldInt, Min: minRetry, Max: maxRetry, Default: DefaultRetry, Help: "Critical alerts repeat this often until acknowledged."},
		{Name: "emergency_expire", Label: "Emergency expire (s)", Type: notify.FieldInt, Min: minExp, Max: maxExp, Default: DefaultExpire, Help: "…for at most this long (not below the retry)."},
		{Name: "api_url", Label: "API URL", Type: notify.FieldURL, Default: DefaultAPIURL},
	}
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.APIURL) }

// Notifier sends to one user or group.
type Notifier struct {
	cfg    Config
	client *http.Client
	logger *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a valid config.
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

// Message is the body of POST /1/messages.json.
type Message struct {
	Token     string `json:"token"`
	User      string `json:"user"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	Priority  int    `json:"priority"`
	Retry     int    `json:"retry,omitempty"`
	Expire    int    `json:"expire,omitempty"`
	Tags      string `json:"tags,omitempty"`
	Device    string `json:"device,omitempty"`
	Sound     string `json:"sound,omitempty"`
	Timestamp int64  `json:"timestamp,omitempty"`
}

// Priority maps a message to a Pushover priority: critical is an
// emergency, high is high, medium (and a test) normal, a resolution quiet.
func Priority(m *notify.Message) int {
	switch {
	case m.Event == notify.EventResolved:
		return PriorityQuiet
	case m.Event == notify.EventTest:
		return PriorityNormal
	case m.Severity == "critical":
		return PriorityEmergency
	case m.Severity == "high":
		return PriorityHigh
	}
	return PriorityNormal
}

// tag names an alert's emergencies, so that its resolution can cancel them.
func tag(m *notify.Message) string { return "homelabcmd-alert-" + strconv.FormatInt(m.AlertID, 10) }

// Payload renders m.
func (n *Notifier) Payload(m *notify.Message) Message {
	p := Message{Token: n.cfg.Token, User: n.cfg.UserKey, Title: notify.Headline(m), Message: notify.PlainText(m),
		Priority: Priority(m), Device: n.cfg.Device, Sound: n.cfg.Sound}
	if m.Event == notify.EventTest {
		p.Message = "Channel configured successfully!"
	}
	if p.Message == "" { // Pushover refuses an empty message
		p.Message = p.Title
	}
	if !m.At.IsZero() {
		p.Timestamp = m.At.Unix()
	}
	if p.Priority == PriorityEmergency {
		p.Retry, p.Expire = n.cfg.EmergencyRetry, n.cfg.EmergencyExpire
		if m.AlertID != 0 {
			p.Tags = tag(m)
		}
	}
	return p
}

// Notify sends the message. A critical alert's resolution first stops the
// alert's emergency from repeating (best effort: the resolution is sent
// either way).
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	if m.Event == notify.EventResolved && m.Severity == "critical" && m.AlertID != 0 {
		body, _ := json.Marshal(map[string]string{"token": n.cfg.Token})
		if err := notify.Post(ctx, n.client, n.cfg.APIURL+"/1/receipts/cancel_by_tag/"+tag(m)+".json", nil, body, n.cfg.Token, n.cfg.UserKey); err != nil {
			if ctx.Err() != nil {
				return notify.Cancelled(ctx)
			}
			n.logger.Warn("pushover: could not cancel the alert's emergency", "alert_id", m.AlertID, "err", err)
		}
	}
	body, err := json.Marshal(n.Payload(m))
	if err != nil {
		return notify.Permanent("pushover: encode payload")
	}
	return notify.Post(ctx, n.client, n.cfg.APIURL+"/1/messages.json", nil, body, n.cfg.Token, n.cfg.UserKey)
}
