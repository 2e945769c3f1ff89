package notify

import (
	"encoding/json"
	"slices"

	"github.com/homelabcmd/homelabcmd"
)

// NewChannel returns a channel with the defaults every way of making one
// shares (the API, the channels file, the original's Slack setting): enabled,
// resolutions sent, minimum severity filled in by Validate.
func NewChannel(name, kind string, cfg json.RawMessage) *homelabcmd.Channel {
	return &homelabcmd.Channel{Name: name, Type: kind, Config: cfg, SendResolved: true, Enabled: true}
}

// Wants reports whether channel c should receive m: it is enabled, the
// alert is at least its minimum severity, of a severity, server and kind
// the channel is limited to (if it is), and a resolution needs SendResolved.
func Wants(c *homelabcmd.Channel, m *Message) bool {
	if !c.Enabled {
		return false
	}
	if m.Event == EventTest {
		return true
	}
	if m.Event == EventResolved && !c.SendResolved {
		return false
	}
	if len(c.ServerIDs) > 0 && !slices.Contains(c.ServerIDs, m.ServerID) || len(c.AlertTypes) > 0 && !slices.Contains(c.AlertTypes, m.AlertType) {
		return false
	}
	return TakesSeverity(c, m.Severity)
}

// TakesSeverity reports whether c's severity routing lets alerts of
// severity through: at least MinSeverity, and in Severities if it is set.
func TakesSeverity(c *homelabcmd.Channel, severity string) bool {
	if len(c.Severities) > 0 && !slices.Contains(c.Severities, severity) {
		return false
	}
	return homelabcmd.SeverityRank(severity) >= homelabcmd.SeverityRank(c.MinSeverity)
}

// Delivery is one claimed outbox row, decoded: a message for one channel.
type Delivery struct {
	ID       int64
	Channel  homelabcmd.Channel
	Message  Message
	Attempts int
}
