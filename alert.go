package homelabcmd

import "time"

// Alert severities, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// Alert statuses: open → acknowledged → resolved, or open → resolved.
const (
	AlertOpen         = "open"
	AlertAcknowledged = "acknowledged"
	AlertResolved     = "resolved"
)

// Alert is one problem on one server. At most one open-or-acknowledged alert
// exists per key (server, type, service name or metric), enforced by the
// database, so a restart or a second hub cannot raise it twice.
type Alert struct {
	ID             int64      `json:"id"`
	ServerID       string     `json:"server_id"`
	AlertType      string     `json:"alert_type"`
	Severity       string     `json:"severity"`
	Status         string     `json:"status"`
	Title          string     `json:"title"`
	Message        *string    `json:"message"`
	ServiceName    *string    `json:"service_name"`
	ThresholdValue *float64   `json:"threshold_value"`
	ActualValue    *float64   `json:"actual_value"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	AutoResolved   bool       `json:"auto_resolved"`
	// NotifiedAt is when its "opened" went out; nil while it has not (it
	// opened on a paused server). A resolution is notified only after it.
	NotifiedAt *time.Time `json:"notified_at"`
	// ResolutionReason says why it resolved when no rule resolved it
	// ("expected service deleted"); nil otherwise.
	ResolutionReason *string `json:"resolution_reason"`
	// AcknowledgedBy and ResolvedBy name who did it by hand (the audit
	// name: a user, "token:<name>", "api-key", "mcp:…"); nil for the rules.
	AcknowledgedBy *string `json:"acknowledged_by"`
	ResolvedBy     *string `json:"resolved_by"`
}

// DedupKey is the key under which only one unresolved alert may exist.
func (a *Alert) DedupKey() string {
	if k, _ := LookupAlertKind(a.AlertType); k.PerService && a.ServiceName != nil {
		return a.AlertType + ":" + *a.ServiceName
	}
	return a.AlertType
}

// Validate checks the enumerated fields and the title.
func (a *Alert) Validate() error {
	if err := ValidateServerID(a.ServerID); err != nil {
		return err
	}
	kind, ok := LookupAlertKind(a.AlertType)
	if !ok {
		return FieldError("alert_type", "unknown alert type %q", a.AlertType)
	}
	switch a.Severity {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow:
	default:
		return FieldError("severity", "unknown severity %q", a.Severity)
	}
	switch a.Status {
	case AlertOpen, AlertAcknowledged, AlertResolved:
	default:
		return FieldError("status", "unknown alert status %q", a.Status)
	}
	if a.Title == "" || len(a.Title) > 255 {
		return FieldError("title", "title must be 1-255 characters")
	}
	if kind.PerService && a.ServiceName == nil {
		return FieldError("service_name", "a service alert needs a service_name")
	}
	return nil
}
