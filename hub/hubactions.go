package hub

import (
	"context"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Actions the hub carries out itself (homelabcmd.ActionType.ByHub):
// applying a configuration pack over SSH. They pass through the same
// queue, approval and audit trail as an agent's; the hub claims them
// instead of an agent and records the result.

// CreatePackApply queues applying a configuration pack to a server. It
// always waits for a person's approval (it changes the machine).
// ENOTFOUND (server), ECONFLICT for an inactive server or with
// existing_action_id when an apply on the server is already active. The
// caller checks that the pack exists.
func (e *Engine) CreatePackApply(ctx context.Context, serverID, pack, actor string) (*homelabcmd.Action, error) {
	var out *homelabcmd.Action
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		srv, err := tx.FindServer(ctx, serverID)
		if err != nil {
			return err
		}
		if srv.IsInactive {
			return homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' is inactive", serverID)
		}
		a := &homelabcmd.Action{ServerID: serverID, ActionType: homelabcmd.ActionApplyConfigPack, Status: homelabcmd.ActionPending,
			Command: homelabcmd.ApplyPackCommand(pack), CreatedAt: tx.Now(), CreatedBy: actor}
		out, err = queueAction(ctx, tx, a, actor, "waiting for approval: applying pack "+pack+" changes the machine", nil)
		return err
	})
	return out, err
}

// ClaimHubActions marks a server's approved actions of actionType (a
// ByHub type) executing for this hub, atomically: of several hubs racing
// for one, one gets it.
func (e *Engine) ClaimHubActions(ctx context.Context, serverID, actionType string) ([]homelabcmd.PendingCommand, error) {
	var out []homelabcmd.PendingCommand
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) (err error) {
		if out, err = tx.ClaimCommands(ctx, serverID, []string{actionType}); err != nil {
			return err
		}
		from, detail := homelabcmd.ActionApproved, "the hub carries it out"
		for _, c := range out {
			ev := homelabcmd.ActionEvent{Actor: "hub", FromStatus: &from, ToStatus: homelabcmd.ActionExecuting, Detail: &detail}
			if err := tx.AddActionEvent(ctx, c.ActionID, ev); err != nil {
				return err
			}
			announceAction(tx, &homelabcmd.Action{ID: c.ActionID, ServerID: serverID, Status: homelabcmd.ActionExecuting})
		}
		return nil
	})
	return out, err
}

// FinishHubAction records the result of an action the hub carried out
// (executing → completed or failed, with detail in the audit trail).
// ENOTFOUND, ECONFLICT.
func (e *Engine) FinishHubAction(ctx context.Context, id int64, r homelabcmd.ActionResult, detail string) (*homelabcmd.Action, error) {
	to, reason := homelabcmd.ActionCompleted, (*string)(nil)
	if !r.Success {
		to, reason = homelabcmd.ActionFailed, ptr("hub_error")
	}
	exit := 0
	if r.ExitCode != nil {
		exit = *r.ExitCode
	} else if !r.Success {
		exit = -1
	}
	stdout, stderr := truncate(r.Stdout, 10000), truncate(r.Stderr, 10000)
	detail = truncate(detail, 500)
	return e.move(ctx, id, "hub", []string{homelabcmd.ActionExecuting}, &detail, func(_ *homelabcmd.Action, now time.Time) (homelabcmd.ActionUpdate, error) {
		return homelabcmd.ActionUpdate{Status: to, CompletedAt: &now, ExitCode: &exit, Stdout: &stdout, Stderr: &stderr,
			DurationMS: &r.DurationMS, FailureReason: reason}, nil
	})
}

// CreateAgentCommand queues a whitelisted command (the caller matched it)
// for the server's agent, approved at once: the operator runs it now, as
// over SSH, and waits for its result. ENOTFOUND (server).
func (e *Engine) CreateAgentCommand(ctx context.Context, serverID, command, actor string) (*homelabcmd.Action, error) {
	var out *homelabcmd.Action
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		if _, err := tx.FindServer(ctx, serverID); err != nil {
			return err
		}
		now := tx.Now()
		a := &homelabcmd.Action{ServerID: serverID, ActionType: homelabcmd.ActionRunCommand, Status: homelabcmd.ActionApproved,
			Command: command, CreatedAt: now, CreatedBy: actor, ApprovedAt: &now, ApprovedBy: ptr("auto")}
		var err error
		out, err = queueAction(ctx, tx, a, actor, "whitelisted command for the agent", nil)
		return err
	})
	return out, err
}
