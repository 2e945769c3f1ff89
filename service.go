package homelabcmd

import (
	"strings"
	"time"
)

// ServiceStatusValue is the state of a systemd unit as the agent reports it.
// "unknown" means the agent cannot tell (unit missing, no systemd) and never
// raises a service-down alert.
type ServiceStatusValue string

// The four service states.
const (
	StatusRunning ServiceStatusValue = "running"
	StatusStopped ServiceStatusValue = "stopped"
	StatusFailed  ServiceStatusValue = "failed"
	StatusUnknown ServiceStatusValue = "unknown"
)

// ParseServiceStatusValue accepts exactly the four states; anything else is an
// EINVALID error.
func ParseServiceStatusValue(s string) (ServiceStatusValue, error) {
	switch v := ServiceStatusValue(s); v {
	case StatusRunning, StatusStopped, StatusFailed, StatusUnknown:
		return v, nil
	}
	return "", FieldError("status", "status %q is not one of running, stopped, failed, unknown", s)
}

// IsDown reports whether the state counts as a service outage.
func (v ServiceStatusValue) IsDown() bool { return v == StatusStopped || v == StatusFailed }

// ExpectedService is a unit the operator says a server must run.
type ExpectedService struct {
	ID          int64     `json:"-"`
	ServerID    string    `json:"-"`
	ServiceName string    `json:"service_name"`
	DisplayName *string   `json:"display_name"`
	IsCritical  bool      `json:"is_critical"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"-"`
	// Kind is a systemd unit or a container; "" means systemd.
	Kind UnitKind `json:"-"`
	// CurrentStatus is the latest reported state, nil before any report.
	CurrentStatus *CurrentStatus `json:"current_status"`
}

// Validate checks the service name and display name.
func (s *ExpectedService) Validate() error {
	if err := ValidateServerID(s.ServerID); err != nil {
		return err
	}
	if s.Kind == "" {
		s.Kind = KindSystemd
	}
	if s.Kind != KindSystemd && s.Kind != KindContainer {
		return FieldError("kind", "kind must be systemd or container")
	}
	if err := s.Kind.ValidateName(s.ServiceName); err != nil {
		return err
	}
	return checkOptText("display_name", s.DisplayName, 255)
}

// ExpectedServiceUpdate is a partial update: nil fields are left unchanged.
type ExpectedServiceUpdate struct {
	DisplayName *string `json:"display_name"`
	IsCritical  *bool   `json:"is_critical"`
	Enabled     *bool   `json:"enabled"`
}

// Validate checks the fields present in the update.
func (u *ExpectedServiceUpdate) Validate() error {
	return checkOptText("display_name", u.DisplayName, 255)
}

// ServiceStatus is one history sample of one service on one server.
type ServiceStatus struct {
	ID           int64              `json:"id"`
	ServerID     string             `json:"server_id"`
	ServiceName  string             `json:"service_name"`
	Status       ServiceStatusValue `json:"status"`
	StatusReason *string            `json:"status_reason"`
	PID          *int               `json:"pid"`
	MemoryMB     *float64           `json:"memory_mb"`
	CPUPercent   *float64           `json:"cpu_percent"`
	Timestamp    time.Time          `json:"timestamp"`
}

// CurrentStatus is the newest reported state of a service, kept in its own
// table so that "the latest status of every service" is one indexed read.
type CurrentStatus struct {
	Status       ServiceStatusValue `json:"status"`
	StatusReason *string            `json:"status_reason"`
	PID          *int               `json:"pid"`
	MemoryMB     *float64           `json:"memory_mb"`
	CPUPercent   *float64           `json:"cpu_percent"`
	Restarts     *int               `json:"restarts,omitempty"`
	LastSeen     time.Time          `json:"last_seen"`
	// Container is a container's detail; nil for a systemd unit.
	Container *ContainerDetail `json:"container,omitempty"`
	// Stale is true while the server is offline: the values are the last
	// it reported, not its present state.
	Stale bool `json:"stale"`
}

// unitSuffixes are systemd's unit types; a name without one means ".service".
var unitSuffixes = []string{
	".service", ".socket", ".device", ".mount", ".automount", ".swap",
	".target", ".path", ".timer", ".slice", ".scope",
}

// ValidateUnitName checks a systemd unit name as systemd does: 1-255
// characters of [A-Za-z0-9:_.\-] with an optional "@instance" and an optional
// unit-type suffix. Shell metacharacters, slashes and spaces are rejected.
func ValidateUnitName(name string) error {
	if len(name) == 0 || len(name) > 255 {
		return FieldError("service_name", "service name must be 1-255 characters")
	}
	// systemd's limit applies to the full unit name, suffix included.
	if n := len(UnitName(name)); n > 255 {
		return FieldError("service_name", "service name is too long: with its implied .service suffix it has %d characters; systemd allows 255", n)
	}
	prefix := name
	for _, suf := range unitSuffixes {
		if strings.HasSuffix(name, suf) {
			prefix = strings.TrimSuffix(name, suf)
			break
		}
	}
	if prefix == "" {
		return FieldError("service_name", "service name %q has no name before its unit suffix", name)
	}
	base, instance, _ := strings.Cut(prefix, "@")
	if base == "" {
		return FieldError("service_name", "service name %q must not start with '@'", name)
	}
	for i, part := range []string{base, instance} {
		for _, r := range part {
			if !isUnitChar(r) && !(i == 1 && r == '@') {
				return FieldError("service_name", "service name %q contains %q; systemd unit names allow only letters, digits and : _ . - \\ @", name, r)
			}
		}
	}
	return nil
}

func isUnitChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == ':' || r == '_' || r == '.' || r == '-' || r == '\\'
}

// UnitName returns the full unit name: a name without a unit-type suffix
// means a ".service" unit.
func UnitName(name string) string {
	for _, suf := range unitSuffixes {
		if strings.HasSuffix(name, suf) {
			return name
		}
	}
	return name + ".service"
}

// NewExpectedService returns an expected service with the defaults: not
// critical, enabled.
func NewExpectedService(serverID, name string) *ExpectedService {
	return &ExpectedService{ServerID: serverID, ServiceName: name, Enabled: true}
}
