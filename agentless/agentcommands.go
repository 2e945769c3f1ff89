package agentless

import (
	"context"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// AgentQueue hands whitelisted commands to agents as run_command actions
// (hub.Engine with the store and the event broker, see httpapi).
type AgentQueue interface {
	CreateAgentCommand(ctx context.Context, serverID, command, actor string) (*homelabcmd.Action, error)
	FindAction(ctx context.Context, id int64) (*homelabcmd.Action, error)
	CancelAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error)
	// Subscribe delivers committed events (an action changed) until ctx ends.
	Subscribe(ctx context.Context) <-chan homelabcmd.Event
}

// agentRecheck is how often a waiting command re-reads its action even
// without an event (another hub may have recorded the result).
const agentRecheck = time.Second

// executeViaAgent hands a matched command to the server's agent and waits
// for its result, up to CommandTimeout; an action still waiting for the
// agent then is cancelled, so it never runs later. Audited like SSH.
func (s *Service) executeViaAgent(ctx context.Context, actor, serverID, command string, t *homelabcmd.CommandTemplate) (*CommandResult, error) {
	wctx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
	defer cancel()
	events := s.Agents.Subscribe(wctx)
	start := time.Now()
	a, err := s.Agents.CreateAgentCommand(ctx, serverID, command, actor)
	if err != nil {
		return nil, err
	}
	entry := homelabcmd.RemoteAudit{Actor: actor, Action: "command", Target: "agent:" + serverID, ServerID: &serverID,
		Detail: t.ActionType + ": " + command + " (through the agent, action " + strconv.FormatInt(a.ID, 10) + ")"}
	recheck := time.NewTicker(agentRecheck)
	defer recheck.Stop()
	for {
		cur, err := s.Agents.FindAction(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status == homelabcmd.ActionCompleted || cur.Status == homelabcmd.ActionFailed {
			res := &CommandResult{Success: cur.Status == homelabcmd.ActionCompleted, ActionType: t.ActionType, ExitCode: -1,
				ExecutionTimeMS: time.Since(start).Milliseconds()}
			if cur.ExitCode != nil {
				res.ExitCode = *cur.ExitCode
			}
			if cur.Stdout != nil {
				res.Stdout = *cur.Stdout
			}
			if cur.Stderr != nil {
				res.Stderr = *cur.Stderr
			}
			res.Truncated = len(res.Stdout) >= CommandOutputLimit || len(res.Stderr) >= CommandOutputLimit
			entry.Detail += " → exit " + strconv.Itoa(res.ExitCode)
			if !res.Success {
				entry.Outcome = "error"
			}
			s.audit(ctx, entry)
			return res, nil
		}
		select {
		case <-wctx.Done():
			if cur.Status == homelabcmd.ActionApproved { // never picked up: must not run later
				_, _ = s.Agents.CancelAction(context.WithoutCancel(ctx), a.ID, "hub")
			}
			entry.Outcome, entry.Detail = "error", entry.Detail+" (timed out while "+cur.Status+")"
			s.audit(ctx, entry)
			return nil, ErrCommandTimeout
		case <-recheck.C:
		case <-events:
		}
	}
}
