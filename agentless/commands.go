package agentless

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// CommandOutputLimit bounds each stream of a command's output.
const CommandOutputLimit = homelabcmd.CommandOutputLimit

// unitArg is a unit name as the whitelist takes it (install.go on main
// validates with it).
const unitArg = homelabcmd.UnitArgPattern

// CommandTemplates lists the whitelist for the API and the docs.
func CommandTemplates() []map[string]string {
	out := make([]map[string]string, len(homelabcmd.CommandTemplates))
	for i, t := range homelabcmd.CommandTemplates {
		out[i] = map[string]string{"action_type": t.ActionType, "pattern": t.Pattern.String(), "example": t.Example}
	}
	return out
}

// CommandResult is a finished command.
type CommandResult struct {
	Success         bool   `json:"success"`
	ActionType      string `json:"action_type"`
	ExitCode        int    `json:"exit_code"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	Truncated       bool   `json:"truncated"`
	ExecutionTimeMS int64  `json:"execution_time_ms"`
}

// Command errors the API maps to the contract's statuses (string detail).
var (
	ErrNotWhitelisted = errors.New("Command not whitelisted")
	ErrRateLimited    = errors.New("Rate limit exceeded: at most 10 commands a minute")
	ErrCommandTimeout = errors.New("Command timed out")
)

// Execute runs a whitelisted command on a server over SSH, synchronously,
// with a timeout and bounded output, audited. ErrNotWhitelisted,
// ErrRateLimited, ErrCommandTimeout, ENOTFOUND, and the SSH errors.
func (s *Service) Execute(ctx context.Context, actor, serverID, command, actionType string) (*CommandResult, error) {
	command = strings.TrimSpace(command)
	t, argv, ok := homelabcmd.MatchCommand(command, actionType)
	srv, err := s.store.FindServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "command", Target: serverID, ServerID: &serverID, Outcome: "refused",
			Detail: "not whitelisted: " + truncate(command, 200)})
		return nil, ErrNotWhitelisted
	}
	if !s.limiter.allow(actor, time.Now()) {
		return nil, ErrRateLimited
	}
	if s.Agents != nil && slices.Contains(srv.Capabilities, homelabcmd.CapCommands) {
		return s.executeViaAgent(ctx, actor, serverID, command, t)
	}
	target, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	conn, err := s.connect(ctx, actor, "command", target, serverID)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if t.Sudo && target.User != "root" {
		argv = append([]string{"sudo", "-n"}, argv...)
	}
	remote := sshx.Command(argv...)
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
	defer cancel()
	out, err := conn.Run(cctx, remote, CommandOutputLimit)
	entry := homelabcmd.RemoteAudit{Actor: actor, Action: "command", Target: target.Addr(), ServerID: &serverID, Detail: t.ActionType + ": " + remote}
	if errors.Is(err, sshx.ErrTimeout) {
		entry.Outcome = "error"
		entry.Detail += " (timed out)"
		s.audit(ctx, entry)
		return nil, ErrCommandTimeout
	}
	if err != nil {
		entry.Outcome, entry.Detail = "error", entry.Detail+": "+err.Error()
		s.audit(ctx, entry)
		return nil, err
	}
	entry.Detail += " → exit " + strconv.Itoa(out.ExitCode)
	if out.ExitCode != 0 {
		entry.Outcome = "error"
	}
	s.audit(ctx, entry)
	return &CommandResult{Success: out.ExitCode == 0, ActionType: t.ActionType, ExitCode: out.ExitCode, Stdout: out.Stdout, Stderr: out.Stderr,
		Truncated: out.Truncated, ExecutionTimeMS: time.Since(start).Milliseconds()}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
