package homelabcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"
)

// Heartbeat is what an agent sends to POST /api/v1/agents/heartbeat. The
// field names follow the original agent's wire contract so that its agents
// work against this hub unchanged; unknown fields are ignored.
type Heartbeat struct {
	ServerID          string             `json:"server_id"`
	Hostname          string             `json:"hostname"`
	Timestamp         Time               `json:"timestamp"`
	ServerGUID        *string            `json:"server_guid,omitempty"`
	AgentVersion      *string            `json:"agent_version,omitempty"`
	AgentMode         *string            `json:"agent_mode,omitempty"`
	OSInfo            *OSInfo            `json:"os_info,omitempty"`
	CPUInfo           *CPUInfo           `json:"cpu_info,omitempty"`
	Metrics           *Metrics           `json:"metrics,omitempty"`
	UpdatesAvailable  *int               `json:"updates_available,omitempty"`
	SecurityUpdates   *int               `json:"security_updates,omitempty"`
	Services          []ServiceReport    `json:"services,omitempty"`
	Filesystems       []Filesystem       `json:"filesystems,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"network_interfaces,omitempty"`
	// AvailableUnits (our extension) is the service units the agent can
	// see, sent on start and then at a low rate; nil: not in this beat.
	AvailableUnits []AvailableUnit `json:"available_units,omitempty"`
	// MonitoredServices (our extension) is the agent's own configured list,
	// sent with the inventory; the hub adopts it as expected services once.
	MonitoredServices []string `json:"monitored_services,omitempty"`
	// Containers is our extension: every container of the host's container
	// engine. nil (absent) when the agent has no engine to ask, which is
	// not the same as an engine with no containers (an empty list, which
	// omitzero keeps: then expected containers count as not reported).
	Containers []ContainerReport `json:"containers,omitzero"`
	// CheckResults are results of the checks the hub handed the agent
	// (our extension; older agents leave it out).
	CheckResults []CheckResult `json:"check_results,omitempty"`
	// Capabilities is what the agent can do (CapRestartService...); nil
	// when it declares nothing (the original's agents), see
	// EffectiveCapabilities.
	Capabilities *[]string `json:"capabilities,omitempty"`
	// Packages are the upgradable packages; present (even empty) replaces
	// the stored list, absent keeps it (the original's agents leave it out
	// when empty).
	Packages *[]Package `json:"packages,omitempty"`
	// CommandResults are the original v1 agent's outcomes of the commands
	// it ran from pending_commands; the hub finishes those actions and
	// acknowledges them in results_acknowledged.
	CommandResults []CommandResult `json:"command_results,omitempty"`
}

// CommandResult is one outcome the original v1 agent reports for an action
// it ran: exit code 0 completes the action, anything else fails it.
type CommandResult struct {
	ActionID    int64  `json:"action_id"`
	ExitCode    *int   `json:"exit_code"`
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	ExecutedAt  *Time  `json:"executed_at,omitempty"`
	CompletedAt *Time  `json:"completed_at,omitempty"`
}

// MaxCommandResults bounds the command results one heartbeat may carry.
const MaxCommandResults = 100

// OSInfo describes the agent's operating system.
type OSInfo struct {
	Distribution *string `json:"distribution"`
	Version      *string `json:"version"`
	Kernel       *string `json:"kernel"`
	Architecture *string `json:"architecture"`
}

// CPUInfo describes the agent's processor.
type CPUInfo struct {
	CPUModel *string `json:"cpu_model"`
	CPUCores *int    `json:"cpu_cores"`
}

// ServiceReport is the state of one unit in a heartbeat. CPUPercent may
// exceed 100 on a multi-core machine. Restarts (systemd's NRestarts) is our
// extension; the original agent does not send it.
type ServiceReport struct {
	Name         string             `json:"name"`
	Status       ServiceStatusValue `json:"status"`
	StatusReason *string            `json:"status_reason,omitempty"`
	PID          *int               `json:"pid"`
	MemoryMB     *float64           `json:"memory_mb"`
	CPUPercent   *float64           `json:"cpu_percent"`
	Restarts     *int               `json:"restarts,omitempty"`
	// Kind is KindSystemd for the heartbeat's services; the hub sets
	// KindContainer for the units it maps from containers.
	Kind UnitKind `json:"-"`
	// Container is a container's detail, kept with its current status.
	Container *ContainerDetail `json:"-"`
}

// Filesystem is one mounted filesystem in a heartbeat.
type Filesystem struct {
	MountPoint     string  `json:"mount_point"`
	Device         string  `json:"device"`
	FSType         string  `json:"fs_type"`
	TotalBytes     int64   `json:"total_bytes"`
	UsedBytes      int64   `json:"used_bytes"`
	AvailableBytes int64   `json:"available_bytes"`
	Percent        float64 `json:"percent"`
}

// NetworkInterface is one network interface in a heartbeat.
type NetworkInterface struct {
	Name      string `json:"name"`
	RxBytes   int64  `json:"rx_bytes"`
	TxBytes   int64  `json:"tx_bytes"`
	RxPackets int64  `json:"rx_packets"`
	TxPackets int64  `json:"tx_packets"`
	IsUp      bool   `json:"is_up"`
}

// HeartbeatResponse is the hub's answer. ExpectedServices is our extension:
// the enabled expected services of the server, which our agent watches.
type HeartbeatResponse struct {
	Status              string           `json:"status"`
	ServerRegistered    bool             `json:"server_registered"`
	PendingCommands     []PendingCommand `json:"pending_commands"`
	ResultsAcknowledged []int64          `json:"results_acknowledged"`
	ExpectedServices    []string         `json:"expected_services"`
	// ExpectedContainers are the enabled expected containers (our
	// extension): the agent acts only on these and its allow-list.
	ExpectedContainers []string `json:"expected_containers,omitempty"`
	// Checks are the enabled checks the agent runs (our extension).
	Checks []CheckSpec `json:"checks"`
}

// PendingCommand is an approved action for the agent to carry out.
type PendingCommand struct {
	ActionID       int64             `json:"action_id"`
	ActionType     string            `json:"action_type"`
	Command        string            `json:"command"`
	Parameters     map[string]string `json:"parameters"`
	TimeoutSeconds int               `json:"timeout_seconds"`
}

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// ValidateGUID checks a lowercase UUID v4, the form agents use.
func ValidateGUID(field, guid string) error {
	if !guidPattern.MatchString(guid) {
		return FieldError(field, "must be a lowercase UUID v4")
	}
	return nil
}

// MaxServicesPerHeartbeat bounds the services one heartbeat may report: a
// machine watches tens of units, and a heartbeat with thousands held the
// single SQLite writer for seconds (every other agent waited).
const MaxServicesPerHeartbeat = 500

// Validate checks every field against the wire contract and returns the
// first problem as an EINVALID error whose Field is the JSON path. Names
// (server_id, hostname, service names) with control characters or bidi
// overrides are refused; descriptive text (OS and CPU descriptions, agent
// version, status reasons, filesystems, interfaces) has them replaced with
// U+FFFD. Integers stored in INTEGER columns must fit 32 bits.
func (h *Heartbeat) Validate() error {
	h.sanitize()
	if err := ValidateServerID(h.ServerID); err != nil {
		return err
	}
	if h.Hostname == "" || len(h.Hostname) > 255 {
		return FieldError("hostname", "hostname must be 1-255 characters")
	}
	if err := CheckText("hostname", h.Hostname, 255); err != nil {
		return err
	}
	if len(h.Services) > MaxServicesPerHeartbeat {
		return FieldError("services", "a heartbeat may report at most %d services, not %d", MaxServicesPerHeartbeat, len(h.Services))
	}
	if h.Timestamp.IsZero() {
		return FieldError("timestamp", "timestamp is required (ISO 8601)")
	}
	if h.ServerGUID != nil {
		if err := ValidateGUID("server_guid", *h.ServerGUID); err != nil {
			return err
		}
	}
	if err := maxLen("agent_version", h.AgentVersion, 20); err != nil {
		return err
	}
	if h.AgentMode != nil && *h.AgentMode != "readonly" && *h.AgentMode != "readwrite" {
		return FieldError("agent_mode", "agent_mode must be \"readonly\" or \"readwrite\"")
	}
	if o := h.OSInfo; o != nil {
		for _, f := range []struct {
			name string
			v    *string
			max  int
		}{{"os_info.distribution", o.Distribution, 100}, {"os_info.version", o.Version, 100}, {"os_info.kernel", o.Kernel, 100}, {"os_info.architecture", o.Architecture, 20}} {
			if err := maxLen(f.name, f.v, f.max); err != nil {
				return err
			}
		}
	}
	if c := h.CPUInfo; c != nil {
		if err := maxLen("cpu_info.cpu_model", c.CPUModel, 255); err != nil {
			return err
		}
		if c.CPUCores != nil && (*c.CPUCores < 1 || *c.CPUCores > 1024) {
			return FieldError("cpu_info.cpu_cores", "cpu_cores must be between 1 and 1024")
		}
	}
	if err := h.Metrics.validate(); err != nil {
		return err
	}
	if err := checkInt32("updates_available", h.UpdatesAvailable); err != nil {
		return err
	}
	if err := checkInt32("security_updates", h.SecurityUpdates); err != nil {
		return err
	}
	for i := range h.Services {
		if err := h.Services[i].validate(fmt.Sprintf("services.%d", i)); err != nil {
			return err
		}
	}
	if len(h.Containers) > MaxContainersPerHeartbeat {
		return FieldError("containers", "a heartbeat may report at most %d containers, not %d", MaxContainersPerHeartbeat, len(h.Containers))
	}
	for i := range h.Containers {
		if err := h.Containers[i].validate(fmt.Sprintf("containers.%d", i)); err != nil {
			return err
		}
	}
	if err := h.validateInventory(); err != nil {
		return err
	}
	if len(h.CheckResults) > MaxCheckResultsPerHeartbeat {
		return FieldError("check_results", "a heartbeat may report at most %d check results, not %d", MaxCheckResultsPerHeartbeat, len(h.CheckResults))
	}
	for i := range h.CheckResults {
		if err := h.CheckResults[i].validate(fmt.Sprintf("check_results.%d", i)); err != nil {
			return err
		}
	}
	if err := validatePackages(h.Packages); err != nil {
		return err
	}
	if err := validateCapabilities(h.Capabilities); err != nil {
		return err
	}
	if len(h.CommandResults) > MaxCommandResults {
		return FieldError("command_results", "a heartbeat may carry at most %d command results, not %d", MaxCommandResults, len(h.CommandResults))
	}
	for i, c := range h.CommandResults {
		if c.ActionID < 1 {
			return FieldError(fmt.Sprintf("command_results.%d.action_id", i), "action_id must be at least 1")
		}
		if c.ExitCode != nil && (*c.ExitCode < -MaxInt32 || *c.ExitCode > MaxInt32) {
			return FieldError(fmt.Sprintf("command_results.%d.exit_code", i), "exit_code must fit 32 bits")
		}
	}
	for i, f := range h.Filesystems {
		p := fmt.Sprintf("filesystems.%d", i)
		if len(f.MountPoint) > 255 || len(f.Device) > 255 || len(f.FSType) > 50 {
			return FieldError(p, "mount_point and device must be at most 255 characters, fs_type at most 50")
		}
		if f.TotalBytes < 0 || f.UsedBytes < 0 || f.AvailableBytes < 0 {
			return FieldError(p, "byte counts must not be negative")
		}
		if err := percent(p+".percent", &f.Percent); err != nil {
			return err
		}
	}
	for i, n := range h.NetworkInterfaces {
		if len(n.Name) > 64 || n.RxBytes < 0 || n.TxBytes < 0 || n.RxPackets < 0 || n.TxPackets < 0 {
			return FieldError(fmt.Sprintf("network_interfaces.%d", i), "name must be at most 64 characters and counters not negative")
		}
	}
	return nil
}

// sanitize replaces unsafe characters in the descriptive text fields.
func (h *Heartbeat) sanitize() {
	sanitizeOpt(h.AgentVersion)
	if o := h.OSInfo; o != nil {
		sanitizeOpt(o.Distribution)
		sanitizeOpt(o.Version)
		sanitizeOpt(o.Kernel)
		sanitizeOpt(o.Architecture)
	}
	if c := h.CPUInfo; c != nil {
		sanitizeOpt(c.CPUModel)
	}
	for i := range h.Services {
		sanitizeOpt(h.Services[i].StatusReason)
	}
	for i := range h.Containers {
		h.Containers[i].sanitize()
	}
	for i := range h.Filesystems {
		f := &h.Filesystems[i]
		f.MountPoint, f.Device, f.FSType = SanitizeText(f.MountPoint), SanitizeText(f.Device), SanitizeText(f.FSType)
	}
	for i := range h.NetworkInterfaces {
		h.NetworkInterfaces[i].Name = SanitizeText(h.NetworkInterfaces[i].Name)
	}
}

func (s *ServiceReport) validate(path string) error {
	if s.Name == "" || len(s.Name) > 255 {
		return FieldError(path+".name", "service name must be 1-255 characters")
	}
	// A reported name becomes an expected service, a restart target and a
	// unit the agent looks up: it must be a systemd unit name.
	if err := ValidateUnitName(s.Name); err != nil {
		return FieldError(path+".name", "%s", ErrorMessage(err))
	}
	if _, err := ParseServiceStatusValue(string(s.Status)); err != nil {
		return FieldError(path+".status", "%s", ErrorMessage(err))
	}
	if err := maxLen(path+".status_reason", s.StatusReason, 255); err != nil {
		return err
	}
	if err := checkInt32(path+".pid", s.PID); err != nil {
		return err
	}
	if err := checkInt32(path+".restarts", s.Restarts); err != nil {
		return err
	}
	if err := nonNegative(path+".memory_mb", s.MemoryMB); err != nil {
		return err
	}
	// cpu_percent is per core summed, so above 100 is valid on several cores.
	return nonNegative(path+".cpu_percent", s.CPUPercent)
}

func (m *Metrics) validate() error {
	if m == nil {
		return nil
	}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"metrics.cpu_percent", m.CPUPercent}, {"metrics.memory_percent", m.MemoryPercent}, {"metrics.disk_percent", m.DiskPercent}} {
		if err := percent(p.name, p.v); err != nil {
			return err
		}
	}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"metrics.disk_total_gb", m.DiskTotalGB}, {"metrics.disk_used_gb", m.DiskUsedGB}, {"metrics.load_1m", m.Load1m}, {"metrics.load_5m", m.Load5m}, {"metrics.load_15m", m.Load15m}} {
		if err := nonNegative(p.name, p.v); err != nil {
			return err
		}
	}
	for _, p := range []struct {
		name string
		v    *int64
	}{{"metrics.network_rx_bytes", m.NetworkRxBytes}, {"metrics.network_tx_bytes", m.NetworkTxBytes}} {
		if p.v != nil && *p.v < 0 {
			return FieldError(p.name, "must not be negative")
		}
	}
	// INTEGER columns on PostgreSQL: 2^31-1 MB is 2 PB of RAM, and 68
	// years of uptime.
	for _, p := range []struct {
		name string
		v    *int64
	}{{"metrics.memory_total_mb", m.MemoryTotalMB}, {"metrics.memory_used_mb", m.MemoryUsedMB}, {"metrics.uptime_seconds", m.UptimeSeconds}} {
		if err := checkInt32From64(p.name, p.v); err != nil {
			return err
		}
	}
	return nil
}

func maxLen(field string, v *string, n int) error {
	if v != nil && len(*v) > n {
		return FieldError(field, "must be at most %d characters", n)
	}
	return nil
}

func percent(field string, v *float64) error {
	if v != nil && (math.IsNaN(*v) || *v < 0 || *v > 100) {
		return FieldError(field, "must be between 0 and 100")
	}
	return nil
}

func nonNegative(field string, v *float64) error {
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
		return FieldError(field, "must be a number not below 0")
	}
	return nil
}

// Time is a time.Time that also accepts ISO 8601 without an offset (read as
// UTC), as the original hub did, and always marshals in UTC.
type Time struct{ time.Time }

var naiveLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"}

// UnmarshalJSON parses RFC 3339, or a naive ISO 8601 time as UTC.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return FieldError("timestamp", "must be an ISO 8601 date-time string")
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return FieldError("timestamp", "%v", err)
	}
	t.Time = parsed
	return nil
}

// MarshalJSON writes RFC 3339 in UTC.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// ParseTime parses RFC 3339, or a naive ISO 8601 time as UTC. The result
// must fall in the years 0001-9999 UTC, which every store and ISO 8601
// itself can hold (an offset can push "9999-12-31T23:59:59-01:00" past it).
func ParseTime(s string) (time.Time, error) {
	v, err := parseISOTime(s)
	if err == nil && (v.Year() < 1 || v.Year() > 9999) {
		return time.Time{}, fmt.Errorf("time %q is outside the years 0001-9999 in UTC", s)
	}
	return v, err
}

func parseISOTime(s string) (time.Time, error) {
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return v.UTC(), nil
	}
	for _, l := range naiveLayouts {
		if v, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return v, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not ISO 8601", s)
}
