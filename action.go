package homelabcmd

import (
	"strconv"
	"strings"
	"time"
)

// Action statuses: pending → approved → executing → completed | failed, or
// pending → rejected, or pending/approved → failed by a cancel (as the
// original: failure_reason "cancelled", exit code -1, CancelledStderr;
// ActionCancelled only in rows stored before). approved and executing
// time out to failed, so no action is stuck forever.
const (
	ActionPending   = "pending"
	ActionApproved  = "approved"
	ActionExecuting = "executing"
	ActionCompleted = "completed"
	ActionFailed    = "failed"
	ActionRejected  = "rejected"
	ActionCancelled = "cancelled"
)

// CancelledStderr is the stderr of a cancelled action, as the original.
const CancelledStderr = "Action cancelled by user"

// The action types agents carry out: restart a systemd unit, or replace
// the agent's own binary with the one the hub serves (UpgradeCommand).
const (
	ActionRestartService = "restart_service"
	ActionUpgradeAgent   = "upgrade_agent"
	// ActionApplyUpdates installs the pending package updates (apt-get
	// dist-upgrade or dnf upgrade, run by the agent without a shell).
	ActionApplyUpdates = "apply_updates"
	// ActionApplyConfigPack applies a configuration pack; the hub carries
	// it out over SSH (package agentless), after a person approved it.
	ActionApplyConfigPack = "apply_config_pack"
	// ActionRunCommand runs one whitelisted command (CommandTemplates)
	// through the agent, for POST /servers/{id}/commands/execute.
	ActionRunCommand = "run_command"
)

// applyPackPrefix starts the command shown for applying a pack.
const applyPackPrefix = "apply configuration pack "

// ApplyPackCommand is the command shown for applying pack; the hub reads
// the pack's name back from it (ApplyPackTarget).
func ApplyPackCommand(pack string) string { return applyPackPrefix + pack }

// ApplyPackTarget is the pack an apply command names ("" for another command).
func ApplyPackTarget(command string) string {
	v, _ := strings.CutPrefix(command, applyPackPrefix)
	if v == command {
		return ""
	}
	return v
}

// ApplyUpdatesCommand is the command shown for applying updates.
func ApplyUpdatesCommand(string) string {
	return "apply pending package updates (apt-get dist-upgrade / dnf upgrade)"
}

// MaxAgentVersion is how much of its version an agent reports (the
// heartbeat's agent_version is at most 20 characters).
const MaxAgentVersion = 20

// ReportedVersion is v as an agent reports it in a heartbeat.
func ReportedVersion(v string) string {
	if len(v) > MaxAgentVersion {
		return v[:MaxAgentVersion]
	}
	return v
}

// AgentOutdated reports whether an agent that reported version differs
// from this hub's Version (false when it never reported one).
func AgentOutdated(version *string) bool {
	return version != nil && *version != "" && *version != ReportedVersion(Version)
}

// upgradePrefix starts the command shown for an agent upgrade.
const upgradePrefix = "upgrade homelabcmd agent to "

// UpgradeCommand is the command shown for an agent upgrade to version; the
// agent never runs it, it downloads its architecture's binary from the hub,
// checks it and swaps it in itself. The target version is part of it, and
// is what verification compares the agent's next reported version with.
func UpgradeCommand(version string) string { return upgradePrefix + version }

// UpgradeTarget is the version an upgrade command names ("" for another command).
func UpgradeTarget(command string) string {
	v, ok := strings.CutPrefix(command, upgradePrefix)
	if !ok {
		return ""
	}
	return v
}

// Action is a remediation the operator queued for an agent to carry out.
type Action struct {
	ID              int64      `json:"id"`
	ServerID        string     `json:"server_id"`
	ActionType      string     `json:"action_type"`
	Status          string     `json:"status"`
	ServiceName     *string    `json:"service_name"`
	Command         string     `json:"command"`
	AlertID         *int64     `json:"alert_id"`
	CreatedAt       time.Time  `json:"created_at"`
	CreatedBy       string     `json:"created_by"`
	ApprovedAt      *time.Time `json:"approved_at"`
	ApprovedBy      *string    `json:"approved_by"`
	RejectedAt      *time.Time `json:"rejected_at"`
	RejectedBy      *string    `json:"rejected_by"`
	RejectionReason *string    `json:"rejection_reason"`
	ExecutedAt      *time.Time `json:"executed_at"`
	CompletedAt     *time.Time `json:"completed_at"`
	ExitCode        *int       `json:"exit_code"`
	Stdout          *string    `json:"stdout"`
	Stderr          *string    `json:"stderr"`
	FailureReason   *string    `json:"failure_reason"`
	DurationMS      *int64     `json:"duration_ms"`
	Verified        *bool      `json:"verified"`
	// RebootRequired: after applying updates the machine needs a reboot
	// (nil: not reported).
	RebootRequired *bool      `json:"reboot_required,omitempty"`
	VerifiedAt     *time.Time `json:"verified_at"`
	// WaitingReason says why an approved action is not handed to its
	// agent yet (computed when read; see WaitingReason).
	WaitingReason *string       `json:"waiting_reason,omitempty"`
	Events        []ActionEvent `json:"events"`
}

// ActionEvent is one audit-trail entry: who moved the action, when, to what.
type ActionEvent struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	FromStatus *string   `json:"from_status"`
	ToStatus   string    `json:"to_status"`
	Detail     *string   `json:"detail"`
}

// ActionResult is what an agent reports after carrying out an action.
type ActionResult struct {
	Success    bool   `json:"success"`
	ExitCode   *int   `json:"exit_code"`
	Error      string `json:"error"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	DurationMS int64  `json:"duration_ms"`
	// RebootRequired is reported after applying updates.
	RebootRequired *bool `json:"reboot_required,omitempty"`
}

// ActionFilter selects actions; empty fields match everything.
type ActionFilter struct {
	Status, ServerID, ActionType string
	Limit, Offset                int
}

// RestartPolicy holds the guard rails of restarts.
type RestartPolicy struct {
	// MaxRestarts within Window refuses a further restart: a crash-looping
	// service needs a human, not a fourth restart.
	MaxRestarts int
	Window      time.Duration
	// PickupTimeout fails an approved or executing action the agent has not
	// finished in time.
	PickupTimeout time.Duration
	// GracePeriod is how long a restarted unit has to report running.
	GracePeriod time.Duration
}

// DefaultRestartPolicy: 3 restarts in 15 min, 10 min to pick up, 60 s grace.
var DefaultRestartPolicy = RestartPolicy{MaxRestarts: 3, Window: 15 * time.Minute, PickupTimeout: 10 * time.Minute, GracePeriod: 60 * time.Second}

// RestartCommand is the command shown for a restart; the agent never runs
// it through a shell, it calls systemd's RestartUnit over D-Bus.
func RestartCommand(service string) string { return "systemctl restart " + service }

// CheckMove is the action state machine: it allows a move to status to
// only from one of the statuses in from. ECONFLICT otherwise.
func (a *Action) CheckMove(from []string, to string) error {
	for _, f := range from {
		if a.Status == f {
			return nil
		}
	}
	return Errorf(ECONFLICT, "Cannot move action %d from '%s' to '%s' (it must be %s)", a.ID, a.Status, to, strings.Join(from, " or "))
}

// AllowRestart is the crash-loop guard rail: after MaxRestarts within
// Window (recent counts them) a further restart is refused (ECONFLICT with
// reason crash_loop), since a crash-looping service needs a person.
func (p RestartPolicy) AllowRestart(service string, recent int) error {
	if p.MaxRestarts > 0 && recent >= p.MaxRestarts {
		return &Error{Code: ECONFLICT, Message: "Service '" + service + "' was restarted " + strconv.Itoa(recent) +
			" times in the last " + p.Window.String() + "; it looks like a crash loop and needs a person, not another restart",
			Data: map[string]any{"reason": "crash_loop"}}
	}
	return nil
}

// RestartConflict is the error for a second restart of a service while
// one (id) is still active.
func RestartConflict(id int64) error {
	return &Error{Code: ECONFLICT, Message: "A restart action for this service is already queued",
		Data: map[string]any{"existing_action_id": id}}
}

// UpgradeConflict is the error for a second agent upgrade of a server
// while one (id) is still active.
func UpgradeConflict(id int64) error {
	return &Error{Code: ECONFLICT, Message: "An agent upgrade for this server is already queued",
		Data: map[string]any{"existing_action_id": id}}
}
