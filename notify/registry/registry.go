// Package registry is the one place that lists the notification providers:
// it parses and validates a channel's JSON config, builds its notifier and
// masks its secrets for display.
package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/discord"
	"github.com/homelabcmd/homelabcmd/notify/email"
	"github.com/homelabcmd/homelabcmd/notify/gotify"
	"github.com/homelabcmd/homelabcmd/notify/matrix"
	"github.com/homelabcmd/homelabcmd/notify/mqtt"
	"github.com/homelabcmd/homelabcmd/notify/ntfy"
	"github.com/homelabcmd/homelabcmd/notify/pushover"
	"github.com/homelabcmd/homelabcmd/notify/slack"
	"github.com/homelabcmd/homelabcmd/notify/telegram"
	"github.com/homelabcmd/homelabcmd/notify/webhook"
)

// Config is what every provider config offers.
type Config interface {
	// Validate fills defaults and returns a sentinel error when invalid.
	Validate() error
	// Secrets points at the fields that must never be shown or logged.
	Secrets() []*string
	// Target is where the secrets are sent (scheme://host:port, or
	// host:port): a stored secret is kept only while it stays the same.
	Target() string
	// Fields describes the config's keys for a generated form.
	Fields() []notify.ConfigField
}

type provider struct {
	config func() Config
	build  func(c Config, g *notify.Guard, logger *slog.Logger) (notify.Notifier, error)
}

// providers is the registry: adding a provider means one line here.
var providers = map[string]provider{
	"slack": {func() Config { return new(slack.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return slack.New(*c.(*slack.Config), g.Client(), l)
	}},
	"discord": {func() Config { return new(discord.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return discord.New(*c.(*discord.Config), g.Client(), l)
	}},
	"ntfy": {func() Config { return new(ntfy.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return ntfy.New(*c.(*ntfy.Config), g.Client(), l)
	}},
	"gotify": {func() Config { return new(gotify.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return gotify.New(*c.(*gotify.Config), g.Client(), l)
	}},
	"email": {func() Config { return new(email.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return email.New(*c.(*email.Config), g.Dialer(), l)
	}},
	"webhook": {func() Config { return new(webhook.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return webhook.New(*c.(*webhook.Config), g.Client(), l)
	}},
	"telegram": {func() Config { return new(telegram.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return telegram.New(*c.(*telegram.Config), g.Client(), l)
	}},
	"pushover": {func() Config { return new(pushover.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return pushover.New(*c.(*pushover.Config), g.Client(), l)
	}},
	"matrix": {func() Config { return new(matrix.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return matrix.New(*c.(*matrix.Config), g.Client(), l)
	}},
	"mqtt": {func() Config { return new(mqtt.Config) }, func(c Config, g *notify.Guard, l *slog.Logger) (notify.Notifier, error) {
		return mqtt.New(*c.(*mqtt.Config), g.Client(), l)
	}},
}

// Kinds lists the provider names, sorted.
func Kinds() []string {
	out := make([]string, 0, len(providers))
	for k := range providers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Provider describes one provider for the dashboard's channel form.
type Provider struct {
	Type   string               `json:"type"`
	Label  string               `json:"label"`
	Fields []notify.ConfigField `json:"fields"`
}

var labels = map[string]string{"slack": "Slack", "discord": "Discord", "ntfy": "ntfy", "gotify": "Gotify", "email": "E-mail (SMTP)",
	"webhook": "Webhook (signed JSON)", "telegram": "Telegram", "pushover": "Pushover", "matrix": "Matrix", "mqtt": "MQTT"}

// Providers describes every provider, sorted by type.
func Providers() []Provider {
	out := make([]Provider, 0, len(providers))
	for _, k := range Kinds() {
		label := labels[k]
		if label == "" {
			label = k
		}
		out = append(out, Provider{Type: k, Label: label, Fields: providers[k].config().Fields()})
	}
	return out
}

// Parse decodes raw strictly (unknown fields are an error) and validates
// it. EINVALID naming "type" or "config".
func Parse(kind string, raw json.RawMessage) (Config, error) {
	c, err := decode(kind, raw)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, homelabcmd.FieldError("config", "%s", err.Error())
	}
	return c, nil
}

func decode(kind string, raw json.RawMessage) (Config, error) {
	p, ok := providers[kind]
	if !ok {
		return nil, homelabcmd.FieldError("type", "unknown channel type %q; one of %v", kind, Kinds())
	}
	c := p.config()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, homelabcmd.FieldError("config", "invalid %s config: %s", kind, notify.Scrub(err.Error(), secretsOf(raw)...))
	}
	return c, nil
}

// Normalize parses raw and returns it re-encoded with defaults filled in.
func Normalize(kind string, raw json.RawMessage) (json.RawMessage, error) {
	c, err := Parse(kind, raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// Build returns the notifier of a stored channel config; it reaches only
// the addresses g allows (nil: no private ones), following no redirect.
func Build(kind string, raw json.RawMessage, g *notify.Guard, logger *slog.Logger) (notify.Notifier, error) {
	c, err := Parse(kind, raw)
	if err != nil {
		return nil, err
	}
	return providers[kind].build(c, g, logger)
}

// CheckTarget refuses (EINVALID naming "config") a config whose target is
// an address g refuses: a literal private, loopback or link-local address,
// or localhost. Names are checked again at each connection, after DNS.
func CheckTarget(kind string, raw json.RawMessage, g *notify.Guard) error {
	c, err := Parse(kind, raw)
	if err != nil {
		return err
	}
	t := c.Target()
	host := t
	if _, rest, ok := strings.Cut(t, "://"); ok {
		host = rest
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if err := g.CheckHost(host); err != nil {
		return homelabcmd.FieldError("config", "%s: %s", kind, err.Error())
	}
	return nil
}

// Secrets returns the non-empty secret values of a config, for scrubbing.
func Secrets(kind string, raw json.RawMessage) []string {
	c, err := Parse(kind, raw)
	if err != nil {
		return secretsOf(raw)
	}
	var out []string
	for _, p := range c.Secrets() {
		if *p != "" {
			out = append(out, *p)
		}
	}
	return out
}

// Redact returns the config with every non-empty secret replaced by
// notify.Mask, safe to show in the API.
func Redact(kind string, raw json.RawMessage) (json.RawMessage, error) {
	c, err := Parse(kind, raw)
	if err != nil {
		return nil, err
	}
	for _, p := range c.Secrets() {
		if *p != "" {
			*p = notify.Mask
		}
	}
	return json.Marshal(c)
}

// KeepSecrets lets an update send back the masked config it read: every
// secret still equal to notify.Mask takes its value from old, as long as
// the target (host and port) is unchanged. A masked secret with a new
// target is refused (EINVALID): the stored secret was meant for the old
// host and must be typed again to be sent to another.
func KeepSecrets(kind string, updated, old json.RawMessage) (json.RawMessage, error) {
	c, err := decode(kind, updated)
	if err != nil {
		return nil, err
	}
	prev, err := Parse(kind, old)
	if err != nil {
		return nil, fmt.Errorf("stored %s config: %w", kind, err)
	}
	ps, olds := c.Secrets(), prev.Secrets()
	kept := 0
	for i, p := range ps {
		if *p == notify.Mask {
			*p = *olds[i]
			if *p != "" {
				kept++
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, homelabcmd.FieldError("config", "%s", err.Error())
	}
	if kept > 0 && c.Target() != prev.Target() {
		return nil, homelabcmd.FieldError("config", "the target changed (%s → %s) while a secret was sent masked (%s): send the secret again for the new target",
			prev.Target(), c.Target(), notify.Mask)
	}
	return json.Marshal(c)
}

// secretsOf is a fallback for configs that do not parse: every string value.
func secretsOf(raw json.RawMessage) []string {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	var out []string
	for _, v := range m {
		if s, ok := v.(string); ok && len(s) >= 8 {
			out = append(out, s)
		}
	}
	return out
}
