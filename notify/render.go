package notify

import (
	"time"

	"github.com/homelabcmd/homelabcmd/alerting"
)

// ForTransition renders an alert transition as the message its channels
// receive; serverName is the server's display name, now the transition's time.
func ForTransition(tr alerting.Transition, serverName string, now time.Time) *Message {
	a := tr.Alert
	m := &Message{Event: string(tr.Kind), AlertID: a.ID, AlertType: a.AlertType, Severity: a.Severity, Title: a.Title,
		ServerID: a.ServerID, ServerName: serverName, Status: a.Status, Value: a.ActualValue, Threshold: a.ThresholdValue, At: now}
	if a.Message != nil {
		m.Text = *a.Message
	}
	if a.ServiceName != nil {
		m.ServiceName = *a.ServiceName
	}
	m.Note = tr.Note
	if tr.Note != "" {
		m.Text = tr.Note + " " + m.Text
	}
	if tr.Kind == alerting.Resolved {
		m.Text = "Resolved: " + a.Title
		if tr.Note != "" {
			m.Text += ". " + tr.Note
		}
		if tr.Since != nil {
			d := int64(now.Sub(*tr.Since) / time.Second)
			m.Duration = &d
		}
	}
	return m
}
