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
		g.Alerts = append(g.Alerts, GroupItem{AlertID: m.AlertID, AlertType: m.AlertType, Severity: m.Severity, Title: m.Title, ServiceName: m.ServiceName})
		lines = append(lines, "• "+titleCase(m.Severity)+": "+m.Title)
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
