package notify

import (
	"fmt"
	"strings"
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

var suggestions = map[string]string{
	"cpu":     "Identify and throttle CPU-intensive processes",
	"memory":  "Check for memory leaks or restart high-usage services",
	"disk":    "Check for large log files or run disk cleanup",
	"offline": "Check network connectivity and server power",
	"service": "Check service logs and consider restarting the service",
}

// Suggestion is the hint shown under an open alert; "" for a resolution.
func Suggestion(m *Message) string {
	if m.Event == EventResolved || m.Event == EventTest {
		return ""
	}
	return suggestions[m.AlertType]
}

func isMetric(t string) bool { return t == "cpu" || t == "memory" || t == "disk" }

// Headline is the short heading: "Critical: DISK Usage Alert",
// "[Reminder] High: Service Alert", "Resolved: Service plex Running", …
func Headline(m *Message) string {
	if m.Event == EventTest {
		return "HomelabCmd Test"
	}
	if m.Event == EventResolved {
		switch {
		case isMetric(m.AlertType):
			return "Resolved: " + strings.ToUpper(m.AlertType) + " Usage Alert"
		case m.AlertType == "service":
			return "Resolved: Service " + m.ServiceName + " Running"
		case m.AlertType == "offline":
			return "Resolved: Server Back Online"
		}
		return "Resolved: " + m.Title
	}
	prefix := ""
	if m.Event == EventReminder {
		prefix = "[Reminder] "
	}
	sev := titleCase(m.Severity)
	switch {
	case isMetric(m.AlertType):
		return prefix + sev + ": " + strings.ToUpper(m.AlertType) + " Usage Alert"
	case m.AlertType == "service":
		return prefix + sev + ": Service Alert"
	case m.AlertType == "offline":
		return prefix + sev + ": Server Offline"
	}
	return prefix + sev + ": " + m.Title
}

// Fields are the labelled values under the headline.
func Fields(m *Message) []Field {
	if m.Event == EventTest {
		return nil
	}
	f := []Field{{"Server", m.ServerName}}
	switch {
	case m.AlertType == "service":
		f = append(f, Field{"Service", m.ServiceName})
	case isMetric(m.AlertType) && m.Value != nil:
		f = append(f, Field{"Current Value", fmt.Sprintf("%.0f%%", *m.Value)})
	}
	if m.Event == EventResolved {
		d := "Unknown"
		if m.Duration != nil && *m.Duration >= 60 {
			d = fmt.Sprintf("%d minutes", *m.Duration/60)
		}
		return append(f, Field{"Duration", d})
	}
	switch {
	case isMetric(m.AlertType) && m.Threshold != nil:
		f = append(f, Field{"Threshold", fmt.Sprintf("%.0f%% (%s)", *m.Threshold, m.Severity)})
	case m.AlertType == "service":
		f = append(f, Field{"Status", "Stopped/Failed"})
	case m.AlertType == "offline":
		f = append(f, Field{"Status", "Offline"})
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
