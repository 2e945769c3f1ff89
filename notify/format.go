package notify

import (
	"fmt"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// Field is one labelled value of a rendered message.
type Field struct{ Name, Value string }

// Colours by severity, as the original's Slack messages use them.
var colours = map[string]string{"critical": "#F87171", "high": "#FBBF24", "medium": "#60A5FA"}

// ColourResolved and ColourTest are the resolved and test message colours.
const (
	ColourResolved = "#22C55E"
	ColourTest     = "#3B82F6"
)

// Colour returns the message's hex colour; unknown severities get high's.
func Colour(m *Message) string {
	switch m.Event {
	case EventResolved:
		return ColourResolved
	case EventTest:
		return ColourTest
	}
	if c, ok := colours[m.Severity]; ok {
		return c
	}
	return colours["high"]
}

// Suggestion is the hint shown under an open alert; "" for a resolution.
func Suggestion(m *Message) string {
	if m.Event == EventResolved || m.Event == EventTest {
		return ""
	}
	k, _ := homelabcmd.LookupAlertKind(m.AlertType)
	return k.Hint
}

// Headline is the short heading: "Critical: DISK Usage Alert",
// "[Reminder] High: Service Alert", "Resolved: Service plex Running", …
// An alert type missing from the table of alert kinds shows its title.
func Headline(m *Message) string {
	if m.Event == EventTest {
		return "HomelabCmd Test"
	}
	k, known := homelabcmd.LookupAlertKind(m.AlertType)
	if m.Event == EventResolved {
		if !known {
			return "Resolved: " + m.Title
		}
		h, _ := homelabcmd.AlertText{Title: k.ResolvedHeadline}.Render("service", m.ServiceName)
		return "Resolved: " + h
	}
	prefix := ""
	switch m.Event {
	case EventReminder:
		prefix = "[Reminder] "
	case EventFlapping:
		prefix = "[Flapping] "
	}
	h := m.Title
	if known {
		h = k.Headline
	}
	return prefix + titleCase(m.Severity) + ": " + h
}

// Fields are the labelled values under the headline.
func Fields(m *Message) []Field {
	if m.Event == EventTest {
		return nil
	}
	k, _ := homelabcmd.LookupAlertKind(m.AlertType)
	f := []Field{{"Server", m.ServerName}}
	switch {
	case k.PerService:
		f = append(f, Field{"Service", m.ServiceName})
	case k.Metric != nil && m.Value != nil:
		f = append(f, Field{"Current Value", fmt.Sprintf("%.0f%s", *m.Value, k.Metric.Unit)})
	}
	if m.Event == EventResolved {
		d := "Unknown"
		if m.Duration != nil && *m.Duration >= 60 {
			d = fmt.Sprintf("%d minutes", *m.Duration/60)
		}
		return append(f, Field{"Duration", d})
	}
	switch {
	case k.Metric != nil && m.Threshold != nil:
		f = append(f, Field{"Threshold", fmt.Sprintf("%.0f%s (%s)", *m.Threshold, k.Metric.Unit, m.Severity)})
	case k.Status != "":
		f = append(f, Field{"Status", k.Status})
	}
	return append(f, Field{"Time", m.At.UTC().Format("2006-01-02 15:04 UTC")})
}

// PlainText renders the message as text: headline, body, fields.
func PlainText(m *Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	for _, f := range Fields(m) {
		fmt.Fprintf(&b, "\n%s: %s", f.Name, f.Value)
	}
	if s := Suggestion(m); s != "" {
		b.WriteString("\nSuggestion: " + s)
	}
	return strings.TrimSpace(b.String())
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
