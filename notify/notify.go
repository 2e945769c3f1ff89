// Package notify delivers alert notifications. Each provider lives in its
// own package behind the Notifier interface; notify/registry is the one
// place that lists them, and notify/notifytest is the conformance kit every
// provider passes.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Events a message can announce.
const (
	EventOpened    = "opened"
	EventEscalated = "escalated"
	EventReminder  = "reminder"
	EventFlapping  = "flapping"
	EventResolved  = "resolved"
	EventTest      = "test"
)

// Message is one notification, rendered from an alert transition when the
// transition commits and stored in the outbox as JSON.
type Message struct {
	// ID is unique per message and channel; providers that can send it
	// (webhook) do, so a receiver can drop a redelivery.
	ID          string   `json:"id"`
	Event       string   `json:"event"`
	AlertID     int64    `json:"alert_id,omitempty"`
	AlertType   string   `json:"alert_type,omitempty"`
	Severity    string   `json:"severity"`
	Title       string   `json:"title"`
	Text        string   `json:"message"`
	ServerID    string   `json:"server_id,omitempty"`
	ServerName  string   `json:"server_name,omitempty"`
	ServiceName string   `json:"service_name,omitempty"`
	Status      string   `json:"status,omitempty"`
	Value       *float64 `json:"actual_value,omitempty"`
	Threshold   *float64 `json:"threshold_value,omitempty"`
	Duration    *int64   `json:"duration_seconds,omitempty"`
	// Note explains an unusual notification (an opening held back while
	// the server was paused, why an alert resolved); it is in Text too.
	Note string `json:"note,omitempty"`
	// Alerts lists the alerts of a grouped message (several opening on one
	// server together); nil for a message about one alert.
	Alerts []GroupItem `json:"alerts,omitempty"`
	At     time.Time   `json:"at"`
}

// Notifier delivers a message to one destination. The error, if any, says
// through Retryable whether trying again later may succeed; it never holds
// a secret (token, password or webhook URL).
type Notifier interface {
	Notify(ctx context.Context, m *Message) error
}

// Error is a delivery failure.
type Error struct {
	// Retryable is true for failures that may pass later: network errors,
	// HTTP 429 and 5xx, SMTP 4xx.
	Retryable bool
	Msg       string
	Err       error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary returns a retryable error.
func Temporary(format string, args ...any) *Error {
	return &Error{Retryable: true, Msg: fmt.Sprintf(format, args...)}
}

// Permanent returns an error that retrying will not fix.
func Permanent(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Retryable reports whether a delivery that failed with err may succeed on
// a later attempt. A cancelled or expired context is not retryable by
// itself: the caller decides whether it still wants to send.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return false
}

// Cancelled wraps a context error so that errors.Is finds it.
func Cancelled(ctx context.Context) *Error {
	return &Error{Msg: "delivery cancelled", Err: ctx.Err()}
}
