package homelabcmd

import (
	"strconv"
	"strings"
	"time"
)

// UnitKind is what kind of thing an expected unit is: a systemd unit or a
// container. Expected units, their history, current status, alerts and
// actions go through the same code for every kind.
type UnitKind string

// The unit kinds.
const (
	KindSystemd   UnitKind = "systemd"
	KindContainer UnitKind = "container"
)

// DownAlert is the alert type (and dedup key prefix) of the kind's
// "expected unit is down" alert.
func (k UnitKind) DownAlert() string {
	if k == KindContainer {
		return AlertContainer
	}
	return AlertService
}

// LoopAlert is the alert type of the kind's restart-loop alert.
func (k UnitKind) LoopAlert() string {
	if k == KindContainer {
		return AlertContainerLoop
	}
	return AlertCrashLoop
}

// ValidateName checks a unit name of the kind.
func (k UnitKind) ValidateName(name string) error {
	if k == KindContainer {
		return ValidateContainerName(name)
	}
	return ValidateUnitName(name)
}

// Container states as the Docker Engine API reports them.
const (
	ContainerRunning    = "running"
	ContainerExited     = "exited"
	ContainerDead       = "dead"
	ContainerRestarting = "restarting"
	ContainerPaused     = "paused"
	ContainerCreated    = "created"
	ContainerRemoving   = "removing"
)

// Container health states; "none" is a container without a HEALTHCHECK.
const (
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
	HealthStarting  = "starting"
	HealthNone      = "none"
)

// MaxContainersPerHeartbeat bounds the containers one heartbeat may report.
const MaxContainersPerHeartbeat = 500

// ContainerReport is the state of one container in a heartbeat (our
// extension of the wire contract; old agents do not send containers).
type ContainerReport struct {
	Name           string     `json:"name"`
	ID             string     `json:"id"`
	Image          string     `json:"image"`
	State          string     `json:"state"`
	Health         string     `json:"health"`
	ExitCode       *int       `json:"exit_code,omitempty"`
	RestartCount   *int       `json:"restart_count,omitempty"`
	OOMKilled      bool       `json:"oom_killed,omitempty"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
	ComposeProject string     `json:"compose_project,omitempty"`
	ComposeService string     `json:"compose_service,omitempty"`
	CPUPercent     *float64   `json:"cpu_percent,omitempty"`
	MemoryMB       *float64   `json:"memory_mb,omitempty"`
}

// ContainerDetail is what the hub keeps of a container beyond a unit's
// status: shown by GET /containers.
type ContainerDetail struct {
	ID             string     `json:"id"`
	Image          string     `json:"image"`
	State          string     `json:"state"`
	Health         string     `json:"health"`
	ExitCode       *int       `json:"exit_code"`
	OOMKilled      bool       `json:"oom_killed"`
	StartedAt      *time.Time `json:"started_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	ComposeProject string     `json:"compose_project,omitempty"`
	ComposeService string     `json:"compose_service,omitempty"`
}

// Detail returns the container facts kept with its current status.
func (c *ContainerReport) Detail() ContainerDetail {
	return ContainerDetail{ID: c.ID, Image: c.Image, State: c.State, Health: c.Health, ExitCode: c.ExitCode,
		OOMKilled: c.OOMKilled, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt,
		ComposeProject: c.ComposeProject, ComposeService: c.ComposeService}
}

// Unit maps a container to a unit report: running (healthy, starting or
// without a health check) is running; running but unhealthy, restarting,
// dead, or exited with a non-zero code is failed; exited with code 0,
// created and paused are stopped. The reason says which, with the exit code
// and OOM kill.
func (c *ContainerReport) Unit() ServiceReport {
	d := c.Detail()
	r := ServiceReport{Name: c.Name, Kind: KindContainer, MemoryMB: c.MemoryMB, CPUPercent: c.CPUPercent, Restarts: c.RestartCount, Container: &d}
	var reason []string
	exit := ""
	if c.ExitCode != nil {
		exit = "exit code " + strconv.Itoa(*c.ExitCode)
	}
	switch c.State {
	case ContainerRunning:
		r.Status = StatusRunning
		if c.Health == HealthUnhealthy {
			r.Status = StatusFailed
			reason = append(reason, "unhealthy")
		}
	case ContainerExited:
		r.Status = StatusStopped
		if c.ExitCode != nil && *c.ExitCode != 0 {
			r.Status = StatusFailed
		}
		reason = append(reason, "exited")
	case ContainerDead, ContainerRestarting, ContainerRemoving:
		r.Status = StatusFailed
		reason = append(reason, c.State)
	case ContainerPaused, ContainerCreated:
		r.Status = StatusStopped
		reason = append(reason, c.State)
		exit = ""
	default:
		r.Status = StatusUnknown
		reason = append(reason, "state "+c.State)
	}
	if exit != "" && r.Status != StatusRunning && c.State != ContainerRunning {
		reason = append(reason, exit)
	}
	if c.OOMKilled {
		reason = append(reason, "OOM-killed")
	}
	if len(reason) > 0 {
		s := clipText(strings.Join(reason, ", "), 255)
		r.StatusReason = &s
	}
	return r
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var containerStates = []string{ContainerRunning, ContainerExited, ContainerDead, ContainerRestarting, ContainerPaused, ContainerCreated, ContainerRemoving}
var healthStates = []string{HealthHealthy, HealthUnhealthy, HealthStarting, HealthNone, ""}

func (c *ContainerReport) validate(path string) error {
	if err := ValidateContainerName(c.Name); err != nil {
		return FieldError(path+".name", "%s", ErrorMessage(err))
	}
	if len(c.ID) > 64 || len(c.Image) > 255 || len(c.ComposeProject) > 255 || len(c.ComposeService) > 255 {
		return FieldError(path, "id must be at most 64 characters, image and compose labels at most 255")
	}
	if !oneOf(c.State, containerStates) {
		return FieldError(path+".state", "state %q is not one of %s", c.State, strings.Join(containerStates, ", "))
	}
	if !oneOf(c.Health, healthStates) {
		return FieldError(path+".health", "health %q is not one of healthy, unhealthy, starting, none", c.Health)
	}
	if err := checkInt32(path+".exit_code", c.ExitCode); err != nil {
		return err
	}
	if c.RestartCount != nil && *c.RestartCount < 0 {
		return FieldError(path+".restart_count", "must not be negative")
	}
	if err := checkInt32(path+".restart_count", c.RestartCount); err != nil {
		return err
	}
	if err := nonNegative(path+".memory_mb", c.MemoryMB); err != nil {
		return err
	}
	return nonNegative(path+".cpu_percent", c.CPUPercent)
}

func (c *ContainerReport) sanitize() {
	c.ID, c.Image = SanitizeText(c.ID), SanitizeText(c.Image)
	c.ComposeProject, c.ComposeService = SanitizeText(c.ComposeProject), SanitizeText(c.ComposeService)
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// ValidateContainerName checks a container name as Docker does:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 characters (a leading "/" as the
// Engine API writes it is not part of the name).
func ValidateContainerName(name string) error {
	if len(name) == 0 || len(name) > 255 {
		return FieldError("container_name", "container name must be 1-255 characters")
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && (r == '_' || r == '.' || r == '-')
		if !ok {
			return FieldError("container_name", "container name %q contains %q at %d; Docker names are [a-zA-Z0-9][a-zA-Z0-9_.-]*", name, r, i)
		}
	}
	return nil
}

// Container action types.
const (
	ActionRestartContainer = "restart_container"
	ActionStartContainer   = "start_container"
	ActionStopContainer    = "stop_container"
)

// UnitActionType returns the action type that does verb to a unit of kind.
// EINVALID when there is none.
func UnitActionType(kind UnitKind, verb string) (ActionType, error) {
	for _, t := range ActionTypes {
		if t.Unit == kind && t.Verb == verb {
			return t, nil
		}
	}
	return ActionType{}, FieldError("action_type", "a %s cannot be %sed", kind, verb)
}

// ContainerView is a container as GET /servers/{id}/containers shows it:
// reported, expected, or both.
type ContainerView struct {
	ContainerName string  `json:"container_name"`
	DisplayName   *string `json:"display_name"`
	IsCritical    bool    `json:"is_critical"`
	Enabled       bool    `json:"enabled"`
	// Expected is true when the operator declared the container expected.
	Expected bool `json:"expected"`
	// CurrentStatus is nil for an expected container never reported.
	CurrentStatus *CurrentStatus `json:"current_status"`
}

// ExpectedContainerView is an expected unit of kind container as the
// container API shows it.
func ExpectedContainerView(e *ExpectedService) *ContainerView {
	return &ContainerView{ContainerName: e.ServiceName, DisplayName: e.DisplayName, IsCritical: e.IsCritical,
		Enabled: e.Enabled, Expected: true, CurrentStatus: e.CurrentStatus}
}
