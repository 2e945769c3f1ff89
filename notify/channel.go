package notify

import (
	"encoding/json"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Channel is a configured destination. Config is the provider's JSON
// config (see notify/registry); it holds secrets and is shown redacted.
type Channel struct {
	ID     int64           `json:"id"`
	Name   string          `json:"name"`
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config"`
	// MinSeverity is the least severe alert the channel hears about.
	MinSeverity string `json:"min_severity"`
	// SendResolved sends resolutions too.
	SendResolved bool      `json:"send_resolved"`
	Enabled      bool      `json:"enabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// NewChannel returns a channel with the defaults every way of making one
// shares (the API, the channels file, the original's Slack setting): enabled,
// resolutions sent, minimum severity filled in by Validate.
func NewChannel(name, kind string, cfg json.RawMessage) *Channel {
	return &Channel{Name: name, Type: kind, Config: cfg, SendResolved: true, Enabled: true}
}

// ChannelUpdate is a partial update: nil fields are left unchanged.
type ChannelUpdate struct {
	Name         *string         `json:"name"`
	Config       json.RawMessage `json:"config"`
	MinSeverity  *string         `json:"min_severity"`
	SendResolved *bool           `json:"send_resolved"`
	Enabled      *bool           `json:"enabled"`
}

var severityRank = map[string]int{homelabcmd.SeverityLow: 1, homelabcmd.SeverityMedium: 2, homelabcmd.SeverityHigh: 3, homelabcmd.SeverityCritical: 4}

// ValidateSeverity accepts low, medium, high and critical.
func ValidateSeverity(field, s string) error {
	if severityRank[s] == 0 {
		return homelabcmd.FieldError(field, "must be one of low, medium, high, critical")
	}
	return nil
}

// Validate checks the name and minimum severity (the config is checked by
// notify/registry). EINVALID.
func (c *Channel) Validate() error {
	if c.Name == "" || len(c.Name) > 100 {
		return homelabcmd.FieldError("name", "name must be 1-100 characters")
	}
	if c.MinSeverity == "" {
		c.MinSeverity = homelabcmd.SeverityMedium
	}
	return ValidateSeverity("min_severity", c.MinSeverity)
}

// Wants reports whether the channel should receive m: it is enabled, the
// alert is at least MinSeverity, and a resolution needs SendResolved.
func (c *Channel) Wants(m *Message) bool {
	if !c.Enabled {
		return false
	}
	if m.Event == EventTest {
		return true
	}
	if m.Event == EventResolved && !c.SendResolved {
		return false
	}
	return severityRank[m.Severity] >= severityRank[c.MinSeverity]
}

// Delivery is one claimed outbox row: a message for one channel.
type Delivery struct {
	ID       int64
	Channel  Channel
	Message  Message
	Attempts int
}
