package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/backoff"
	"github.com/homelabcmd/homelabcmd/client"
)

// Restarter restarts a unit (full name) and returns systemd's job result
// (systemd.Client in production).
type Restarter interface {
	Restart(ctx context.Context, unit string) (string, error)
}

// ContainerActor restarts, starts and stops containers through the
// container engine's API (docker.Client in production).
type ContainerActor interface {
	Restart(ctx context.Context, name string) error
	Start(ctx context.Context, name string) error
	Stop(ctx context.Context, name string) error
}

// ResultReporter sends an action's result to the hub (client.Client).
type ResultReporter interface {
	ReportResult(ctx context.Context, serverID string, actionID int64, r homelabcmd.ActionResult) error
}

const (
	// RestartTimeout bounds a restart job when the hub names no timeout.
	RestartTimeout = 90 * time.Second
	// ResultRetryFor is how long an undelivered result is retried: the
	// hub's default action timeout, after which it has failed the action
	// anyway and would refuse the result.
	ResultRetryFor = 10 * time.Minute
	// UpgradeReportFor is how long the result of a finished upgrade is
	// retried before the agent exits into the new binary anyway.
	UpgradeReportFor = time.Minute
	// resultMaxBackoff caps the wait between result deliveries.
	resultMaxBackoff = 30 * time.Second
	// recentActions is how many executed action ids the agent remembers.
	recentActions = 512
)

// Executor carries out the hub's commands: restart_service, for units in
// the agent's allow-list only, through systemd's RestartUnit (never a
// shell), then reports the result. Each action id runs at most once.
type Executor struct {
	Config *Config
	Units  Restarter // nil: every restart fails with "no systemd connection"
	// Containers carries out container actions; nil: they fail with "no
	// container engine".
	Containers ContainerActor
	// ExpectedContainers returns the hub's enabled expected containers
	// (Agent.ExpectedContainers); with container_allowlist they are the
	// only containers acted on.
	ExpectedContainers func() []string
	Hub                ResultReporter // nil: results are only logged
	Logger             *slog.Logger
	// AfterRestart is called once a restart's result is delivered, so that a
	// heartbeat shows the hub the unit's new state (Agent.Beat).
	AfterRestart func()
	// Upgrade replaces the agent's binary with the hub's target version
	// and returns the new binary's --version line (upgrade.Upgrader); nil:
	// upgrade_agent fails with "this agent cannot upgrade itself".
	Upgrade func(ctx context.Context, target string) (string, error)
	// ApplyUpdates installs the pending package updates (updates.Apt or
	// updates.Dnf Apply) and returns the package manager's output (its
	// tail) and whether a reboot is needed; nil: apply_updates is refused.
	ApplyUpdates func(ctx context.Context) (output string, reboot *bool, err error)
	// RunCommands: run_command (whitelisted commands) is carried out
	// (a readwrite agent); false: refused.
	RunCommands bool
	// AfterUpgrade is called once a successful upgrade is reported (or
	// reporting gave up): the agent exits so that systemd starts the new
	// binary.
	AfterUpgrade func()

	mu     sync.Mutex
	recent map[int64]bool
	order  []int64
	wg     sync.WaitGroup
}

// Handle starts each command not seen before and returns at once; it is the
// agent's CommandHandler for both the heartbeat answer and the long-poll.
func (e *Executor) Handle(ctx context.Context, cmds []homelabcmd.PendingCommand) {
	for _, cmd := range cmds {
		if !e.first(cmd.ActionID) {
			e.Logger.Warn("the hub sent an action this agent already carried out; not running it again", "action_id", cmd.ActionID)
			continue
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			received := time.Now()
			// A started restart is finished and reported even while the
			// agent shuts down: systemd runs the job either way.
			res := e.Execute(context.WithoutCancel(ctx), cmd)
			if cmd.ActionType == homelabcmd.ActionUpgradeAgent {
				// The new binary is in place: report briefly, then exit
				// whether or not the hub heard, so the new one starts
				// (its heartbeat's version verifies the upgrade).
				e.report(ctx, cmd.ActionID, res, time.Now().Add(UpgradeReportFor))
				if res.Success && e.AfterUpgrade != nil {
					e.AfterUpgrade()
				}
				return
			}
			deadline := received.Add(ResultRetryFor)
			if cmd.ActionType == homelabcmd.ActionApplyUpdates { // runs for long: retry from its end
				deadline = time.Now().Add(ResultRetryFor)
			}
			delivered := e.report(ctx, cmd.ActionID, res, deadline)
			if delivered && res.Success && e.AfterRestart != nil {
				e.AfterRestart()
			}
		}()
	}
}

// Wait blocks until every started command has been carried out and its
// result delivered or given up.
func (e *Executor) Wait() { e.wg.Wait() }

// first records an action id and reports whether it was new.
func (e *Executor) first(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.recent == nil {
		e.recent = map[int64]bool{}
	}
	if e.recent[id] {
		return false
	}
	e.recent[id] = true
	e.order = append(e.order, id)
	if len(e.order) > recentActions {
		delete(e.recent, e.order[0])
		e.order = e.order[1:]
	}
	return true
}

// Allowed reports whether a unit may be restarted: it is in
// monitored_services or restart_allowlist (compared as full unit names).
func (e *Executor) Allowed(name string) bool {
	unit := homelabcmd.UnitName(name)
	for _, list := range [][]string{e.Config.MonitoredServices, e.Config.RestartAllowlist} {
		for _, n := range list {
			if homelabcmd.UnitName(n) == unit {
				return true
			}
		}
	}
	return false
}

// Execute carries out one command and returns its result; refusals are
// failed results whose error says why and that nothing was run.
func (e *Executor) Execute(ctx context.Context, cmd homelabcmd.PendingCommand) homelabcmd.ActionResult {
	start := time.Now()
	fail := func(format string, args ...any) homelabcmd.ActionResult {
		msg := fmt.Sprintf(format, args...)
		e.Logger.Warn("action failed", "action_id", cmd.ActionID, "reason", msg)
		return homelabcmd.ActionResult{Error: msg, Stderr: msg, DurationMS: time.Since(start).Milliseconds()}
	}
	if cmd.ActionType == homelabcmd.ActionUpgradeAgent {
		return e.upgrade(ctx, cmd, start, fail)
	}
	if t, ok := homelabcmd.LookupActionType(cmd.ActionType); ok && t.Unit == homelabcmd.KindContainer {
		return e.container(ctx, cmd, t, start, fail)
	}
	if cmd.ActionType == homelabcmd.ActionApplyUpdates {
		return e.applyUpdates(ctx, cmd, start, fail)
	}
	if cmd.ActionType == homelabcmd.ActionRunCommand {
		return e.runCommand(ctx, cmd, start, fail)
	}
	if cmd.ActionType != homelabcmd.ActionRestartService {
		return fail("refused: this agent does not know the action type %q; nothing was run", cmd.ActionType)
	}
	name := cmd.Parameters["service_name"]
	if err := homelabcmd.ValidateUnitName(name); err != nil {
		return fail("refused: %s; nothing was run", homelabcmd.ErrorMessage(err))
	}
	unit := homelabcmd.UnitName(name)
	if !e.Allowed(name) {
		return fail("refused: %s is not in this agent's monitored_services or restart_allowlist; nothing was run", unit)
	}
	if e.Units == nil {
		return fail("no systemd connection; %s was not restarted", unit)
	}
	timeout := RestartTimeout
	if cmd.TimeoutSeconds > 0 {
		timeout = time.Duration(cmd.TimeoutSeconds) * time.Second
	}
	jctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e.Logger.Info("restarting a unit for the hub", "action_id", cmd.ActionID, "unit", unit)
	result, err := e.Units.Restart(jctx, unit)
	if err != nil {
		return fail("RestartUnit %s: %v", unit, err)
	}
	if result != "done" {
		return fail("the restart job of %s ended with result %q (see journalctl -u %s)", unit, result, unit)
	}
	took := time.Since(start)
	e.Logger.Info("unit restarted", "action_id", cmd.ActionID, "unit", unit, "took", took.Round(time.Millisecond))
	return homelabcmd.ActionResult{Success: true, Stdout: "systemd restart job of " + unit + ": done", DurationMS: took.Milliseconds()}
}

// ContainerAllowed reports whether a container may be acted on: the hub
// expects it or it is in container_allowlist.
func (e *Executor) ContainerAllowed(name string) bool {
	var expected []string
	if e.ExpectedContainers != nil {
		expected = e.ExpectedContainers()
	}
	for _, list := range [][]string{expected, e.Config.ContainerAllowlist} {
		for _, n := range list {
			if n == name {
				return true
			}
		}
	}
	return false
}

// container carries out restart_container, start_container and
// stop_container through the Engine API; the Engine answers once the
// container has restarted, started or stopped.
func (e *Executor) container(ctx context.Context, cmd homelabcmd.PendingCommand, t homelabcmd.ActionType, start time.Time, fail func(string, ...any) homelabcmd.ActionResult) homelabcmd.ActionResult {
	name := cmd.Parameters["service_name"]
	if err := homelabcmd.ValidateContainerName(name); err != nil {
		return fail("refused: %s; nothing was run", homelabcmd.ErrorMessage(err))
	}
	if !e.ContainerAllowed(name) {
		return fail("refused: container %s is neither expected by the hub nor in this agent's container_allowlist; nothing was run", name)
	}
	if e.Containers == nil {
		return fail("no container engine; container %s was not %sed", name, t.Verb)
	}
	timeout := RestartTimeout
	if cmd.TimeoutSeconds > 0 {
		timeout = time.Duration(cmd.TimeoutSeconds) * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	do := map[string]func(context.Context, string) error{"restart": e.Containers.Restart, "start": e.Containers.Start, "stop": e.Containers.Stop}[t.Verb]
	e.Logger.Info("container action for the hub", "action_id", cmd.ActionID, "container", name, "action", t.Verb)
	if err := do(cctx, name); err != nil {
		return fail("%s container %s: %v", t.Verb, name, err)
	}
	took := time.Since(start)
	return homelabcmd.ActionResult{Success: true, Stdout: "container " + name + ": " + t.Verb + " done", DurationMS: took.Milliseconds()}
}

// upgrade carries out upgrade_agent through e.Upgrade.
func (e *Executor) upgrade(ctx context.Context, cmd homelabcmd.PendingCommand, start time.Time, fail func(string, ...any) homelabcmd.ActionResult) homelabcmd.ActionResult {
	if e.Upgrade == nil {
		return fail("this agent cannot upgrade itself (run as a service from its installed binary); nothing was replaced")
	}
	target := cmd.Parameters["target_version"]
	if target == "" {
		return fail("refused: the hub named no target version; nothing was replaced")
	}
	if target == homelabcmd.Version {
		return fail("refused: this agent already runs version %s; nothing was replaced", target)
	}
	timeout := 5 * time.Minute
	if cmd.TimeoutSeconds > 0 {
		timeout = time.Duration(cmd.TimeoutSeconds) * time.Second
	}
	uctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e.Logger.Info("upgrading the agent for the hub", "action_id", cmd.ActionID, "from", homelabcmd.Version, "to", target)
	line, err := e.Upgrade(uctx, target)
	if err != nil {
		return fail("upgrade to %s: %v", target, err)
	}
	took := time.Since(start)
	e.Logger.Info("agent binary replaced; exiting so that systemd starts the new one", "action_id", cmd.ActionID, "new", line, "took", took.Round(time.Millisecond))
	return homelabcmd.ActionResult{Success: true, Stdout: "replaced " + homelabcmd.Version + " with: " + line, DurationMS: took.Milliseconds()}
}

func (e *Executor) applyUpdates(ctx context.Context, cmd homelabcmd.PendingCommand, start time.Time, fail func(string, ...any) homelabcmd.ActionResult) homelabcmd.ActionResult {
	if e.ApplyUpdates == nil {
		return fail("refused: this agent does not apply updates (package_updates off, mode readonly, or no apt/dnf); nothing was run")
	}
	timeout := 30 * time.Minute
	if cmd.TimeoutSeconds > 0 {
		timeout = time.Duration(cmd.TimeoutSeconds) * time.Second
	}
	uctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e.Logger.Info("applying package updates for the hub", "action_id", cmd.ActionID)
	out, reboot, err := e.ApplyUpdates(uctx)
	took := time.Since(start)
	if err != nil {
		r := fail("applying updates: %v", err)
		r.Stdout, r.RebootRequired = out, reboot
		return r
	}
	e.Logger.Info("package updates applied", "action_id", cmd.ActionID, "took", took.Round(time.Millisecond), "reboot_required", reboot != nil && *reboot)
	return homelabcmd.ActionResult{Success: true, Stdout: out, DurationMS: took.Milliseconds(), RebootRequired: reboot}
}

// report delivers a result, retrying network failures and 5xx with backoff
// until deadline or shutdown. A 4xx is final: the hub already settled the
// action (timed out, cancelled) or does not know it. It reports whether
// the hub took the result.
func (e *Executor) report(ctx context.Context, id int64, res homelabcmd.ActionResult, deadline time.Time) bool {
	if e.Hub == nil {
		return false
	}
	retry := backoff.Backoff{Min: MinBackoff, Max: resultMaxBackoff}
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		err := e.Hub.ReportResult(rctx, e.Config.ServerID, id, res)
		cancel()
		if err == nil {
			if attempt > 1 {
				e.Logger.Info("action result delivered", "action_id", id, "attempts", attempt)
			}
			return true
		}
		var ce *client.Error
		if errors.As(err, &ce) && !ce.Retryable {
			e.Logger.Error("the hub refused the action result", "action_id", id, "err", err)
			return false
		}
		wait := retry.Next()
		if time.Now().Add(wait).After(deadline) {
			e.Logger.Error("giving up delivering the action result; the hub times the action out", "action_id", id, "err", err)
			return false
		}
		if attempt == 1 {
			e.Logger.Warn("cannot deliver the action result; retrying", "action_id", id, "err", err)
		}
		if !backoff.Sleep(ctx, wait) {
			e.Logger.Warn("shutting down before the action result was delivered; the hub times the action out", "action_id", id)
			return false
		}
	}
}
