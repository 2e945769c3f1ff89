package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// GroupItem is one alert of a grouped notification.
type GroupItem struct {
	AlertID     int64  `json:"alert_id"`
	AlertType   string `json:"alert_type"`
	Severity    string `json:"severity"`
	Title       string `json:"title"`
	ServiceName string `json:"service_name,omitempty"`
	// Resolved is true when it resolved again before the grouped
	// notification went out (no separate "resolved" follows).
	Resolved bool `json:"resolved,omitempty"`
}

// resolvedNote marks an opening that resolved before it was sent.
const resolvedNote = "Resolved again before this notification went out."

// items returns the alerts of a message, one message each.
func items(m *Message) []*Message {
	if len(m.Alerts) == 0 {
		return []*Message{m}
	}
	out := make([]*Message, len(m.Alerts))
	for i, a := range m.Alerts {
		out[i] = &Message{Event: m.Event, AlertID: a.AlertID, AlertType: a.AlertType, Severity: a.Severity, Title: a.Title,
			Text: a.Title, ServerID: m.ServerID, ServerName: m.ServerName, ServiceName: a.ServiceName, At: m.At}
		if a.Resolved {
			out[i].Note = resolvedNote
		}
	}
	return out
}

// Merge adds the alerts of add to a held (grouped or single) message.
func Merge(held, add *Message) *Message {
	return Group(append(items(held), items(add)...))
}

// MarkResolved marks alert id of a held message as resolved since; false
// when the message does not hold it.
func MarkResolved(held *Message, id int64) (*Message, bool) {
	all, found := items(held), false
	for _, m := range all {
		if m.AlertID == id && m.Note != resolvedNote {
			m.Note, found = resolvedNote, true
			if len(all) == 1 {
				m.Text = m.Text + " " + resolvedNote
			}
		}
	}
	return Group(all), found
}

// Group returns one message for several alerts of one server opened
// together: the most severe one's severity, a title that counts them and a
// line per alert; Alerts lists them. One message is returned as it is.
func Group(msgs []*Message) *Message {
	if len(msgs) == 1 {
		return msgs[0]
	}
	first := msgs[0]
	g := &Message{Event: first.Event, AlertID: first.AlertID, ServerID: first.ServerID, ServerName: first.ServerName, At: first.At,
		Title: fmt.Sprintf("%d alerts on %s", len(msgs), first.ServerName)}
	lines := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if homelabcmd.SeverityRank(m.Severity) > homelabcmd.SeverityRank(g.Severity) {
			g.Severity = m.Severity
		}
		resolved := m.Note == resolvedNote
		g.Alerts = append(g.Alerts, GroupItem{AlertID: m.AlertID, AlertType: m.AlertType, Severity: m.Severity, Title: m.Title, ServiceName: m.ServiceName, Resolved: resolved})
		line := "• " + titleCase(m.Severity) + ": " + m.Title
		if resolved {
			line += " (resolved since)"
		}
		lines = append(lines, line)
	}
	g.Text = g.Title + ":\n" + strings.Join(lines, "\n")
	return g
}

// RouteTogether routes messages about one server made in one go (alerts
// opening in one heartbeat): each channel gets those it wants, as one
// grouped message when there are several.
func RouteTogether(channels []homelabcmd.Channel, msgs []*Message) ([]homelabcmd.OutboxMessage, error) {
	var out []homelabcmd.OutboxMessage
	for i := range channels {
		var wanted []*Message
		for _, m := range msgs {
			if Wants(&channels[i], m) {
				wanted = append(wanted, m)
			}
		}
		if len(wanted) == 0 {
			continue
		}
		m := Group(wanted)
		payload, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, homelabcmd.OutboxMessage{ChannelID: channels[i].ID, AlertID: m.AlertID, Event: m.Event, Payload: payload})
	}
	return out, nil
}
