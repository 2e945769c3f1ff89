package hub

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// CreateRestart queues a restart of a service. It is approved at once
// ("auto") unless the server is in maintenance, then it waits as pending.
// ENOTFOUND (server), EINVALID (unit name), ECONFLICT with
// existing_action_id when a restart of it is already active, or with a
// reason when the service was restarted too often recently.
func (e *Engine) CreateRestart(ctx context.Context, serverID, service, actor string) (*homelabcmd.Action, error) {
	return e.CreateUnitAction(ctx, serverID, homelabcmd.ActionRestartService, service, actor)
}

// CreateUnitAction queues an action on a unit (see homelabcmd.ActionTypes:
// restart_service, restart_container, start_container, stop_container)
// with the guard rails of CreateRestart: approval in maintenance, one
// active action per unit, the crash-loop guard (restarts and starts).
// EINVALID for an unknown type or a bad name.
func (e *Engine) CreateUnitAction(ctx context.Context, serverID, actionType, service, actor string) (*homelabcmd.Action, error) {
	typ, ok := homelabcmd.LookupActionType(actionType)
	if !ok || typ.Unit == "" {
		return nil, homelabcmd.FieldError("action_type", "action_type %q is not an action on a unit", actionType)
	}
	if err := typ.Unit.ValidateName(service); err != nil {
		return nil, err
	}
	p := e.restart
	var out *homelabcmd.Action
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		srv, err := tx.FindServer(ctx, serverID)
		if err != nil {
			return err
		}
		if id, ok, err := tx.ActiveUnitAction(ctx, serverID, typ.Unit, service); err != nil {
			return err
		} else if ok {
			return homelabcmd.RestartConflict(id)
		}
		if typ.WantRunning {
			recent, err := tx.UnitRestartsSince(ctx, serverID, typ.Unit, service, since(tx, p.Window))
			if err != nil {
				return err
			}
			if err := p.AllowRestart(service, recent); err != nil {
				return err
			}
		}
		now := tx.Now()
		a := &homelabcmd.Action{ServerID: serverID, ActionType: typ.Name, Status: homelabcmd.ActionApproved,
			ServiceName: &service, Command: typ.Command(service), CreatedAt: now, CreatedBy: actor,
			ApprovedAt: &now, ApprovedBy: ptr("auto")}
		detail := "approved automatically"
		if srv.IsPaused {
			a.Status, a.ApprovedAt, a.ApprovedBy = homelabcmd.ActionPending, nil, nil
			detail = "server is in maintenance mode: waiting for approval"
		}
		// On a conflict, another hub queued the same action a moment ago.
		out, err = queueAction(ctx, tx, a, actor, detail, func() error {
			if id, ok, err := tx.ActiveUnitAction(ctx, serverID, typ.Unit, service); err == nil && ok {
				return homelabcmd.RestartConflict(id)
			}
			return nil
		})
		return err
	})
	return out, err
}

// CreateUpgrade queues an upgrade of a server's agent to this hub's
// version: the agent downloads its architecture's binary from the hub,
// checks it and swaps it in. Approved at once ("auto") unless the server
// is in maintenance, then pending. ENOTFOUND (server), ECONFLICT with
// existing_action_id when an upgrade of its agent is already active.
func (e *Engine) CreateUpgrade(ctx context.Context, serverID, actor string) (*homelabcmd.Action, error) {
	var out *homelabcmd.Action
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		srv, err := tx.FindServer(ctx, serverID)
		if err != nil {
			return err
		}
		if id, ok, err := tx.ActiveUpgrade(ctx, serverID); err != nil {
			return err
		} else if ok {
			return homelabcmd.UpgradeConflict(id)
		}
		now := tx.Now()
		a := &homelabcmd.Action{ServerID: serverID, ActionType: homelabcmd.ActionUpgradeAgent, Status: homelabcmd.ActionApproved,
			Command: homelabcmd.UpgradeCommand(homelabcmd.Version), CreatedAt: now, CreatedBy: actor,
			ApprovedAt: &now, ApprovedBy: ptr("auto")}
		detail := "approved automatically"
		if srv.AgentVersion != nil {
			detail += "; the agent reports " + *srv.AgentVersion
		}
		if srv.IsPaused {
			a.Status, a.ApprovedAt, a.ApprovedBy = homelabcmd.ActionPending, nil, nil
			detail = "server is in maintenance mode: waiting for approval"
		}
		// On a conflict, another hub queued an upgrade a moment ago.
		out, err = queueAction(ctx, tx, a, actor, detail, func() error {
			if id, ok, err := tx.ActiveUpgrade(ctx, serverID); err == nil && ok {
				return homelabcmd.UpgradeConflict(id)
			}
			return nil
		})
		return err
	})
	return out, err
}

func announceAction(tx homelabcmd.Tx, a *homelabcmd.Action) {
	if a == nil {
		return
	}
	tx.Announce(homelabcmd.Event{Type: homelabcmd.EventActionChanged, ServerID: a.ServerID,
		Data: map[string]any{"action_id": a.ID, "status": a.Status, "service_name": a.ServiceName}})
}

// move runs one step of the action state machine: the action must be in
// one of from; update gives the new status and fields at the
// transaction's time (or refuses the step). The step is recorded in the
// audit trail. ENOTFOUND, ECONFLICT.
func (e *Engine) move(ctx context.Context, id int64, actor string, from []string, detail *string,
	update func(cur *homelabcmd.Action, now time.Time) (homelabcmd.ActionUpdate, error)) (*homelabcmd.Action, error) {
	var out *homelabcmd.Action
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		cur, err := tx.FindAction(ctx, id)
		if err != nil {
			return err
		}
		u, err := update(cur, tx.Now())
		if err != nil {
			return err
		}
		if err := cur.CheckMove(from, u.Status); err != nil {
			return err
		}
		if ok, err := tx.MoveAction(ctx, id, cur.Status, u); err != nil {
			return err
		} else if !ok {
			return homelabcmd.Errorf(homelabcmd.ECONFLICT, "Action %d changed meanwhile; try again", id)
		}
		ev := homelabcmd.ActionEvent{Actor: actor, FromStatus: &cur.Status, ToStatus: u.Status}
		if *detail != "" { // update may have changed it
			ev.Detail = ptr(*detail)
		}
		if err := tx.AddActionEvent(ctx, id, ev); err != nil {
			return err
		}
		out, err = tx.FindAction(ctx, id)
		announceAction(tx, out)
		return err
	})
	return out, err
}

// ApproveAction approves a pending action. ENOTFOUND, ECONFLICT.
func (e *Engine) ApproveAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error) {
	return e.move(ctx, id, actor, []string{homelabcmd.ActionPending}, ptr("approved"), func(_ *homelabcmd.Action, now time.Time) (homelabcmd.ActionUpdate, error) {
		return homelabcmd.ActionUpdate{Status: homelabcmd.ActionApproved, ApprovedAt: &now, ApprovedBy: &actor}, nil
	})
}

// RejectAction rejects a pending action with a reason. ENOTFOUND, ECONFLICT, EINVALID.
func (e *Engine) RejectAction(ctx context.Context, id int64, actor, reason string) (*homelabcmd.Action, error) {
	if reason == "" || len(reason) > 1000 {
		return nil, homelabcmd.FieldError("reason", "reason must be 1-1000 characters")
	}
	if err := homelabcmd.CheckText("reason", reason, 1000); err != nil {
		return nil, err
	}
	return e.move(ctx, id, actor, []string{homelabcmd.ActionPending}, &reason, func(_ *homelabcmd.Action, now time.Time) (homelabcmd.ActionUpdate, error) {
		return homelabcmd.ActionUpdate{Status: homelabcmd.ActionRejected, RejectedAt: &now, RejectedBy: &actor, Rejection: &reason}, nil
	})
}

// CancelAction cancels a pending or approved action. ENOTFOUND, ECONFLICT.
func (e *Engine) CancelAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error) {
	return e.move(ctx, id, actor, []string{homelabcmd.ActionPending, homelabcmd.ActionApproved}, ptr("cancelled by "+actor),
		func(_ *homelabcmd.Action, now time.Time) (homelabcmd.ActionUpdate, error) {
			// As the original answered (its UI knows no "cancelled"): failed,
			// exit code -1; failure_reason and the audit trail say more.
			return homelabcmd.ActionUpdate{Status: homelabcmd.ActionFailed, CompletedAt: &now, FailureReason: ptr("cancelled"),
				ExitCode: ptr(-1), Stderr: ptr(homelabcmd.CancelledStderr)}, nil
		})
}

// CompleteAction records the agent's result of an executing action of its
// own server. ENOTFOUND (also for another server's action), ECONFLICT.
func (e *Engine) CompleteAction(ctx context.Context, serverID string, id int64, r homelabcmd.ActionResult) (*homelabcmd.Action, error) {
	took := (time.Duration(r.DurationMS) * time.Millisecond).String()
	to, detail := homelabcmd.ActionCompleted, "done in "+took
	var reason *string
	if !r.Success {
		to, detail, reason = homelabcmd.ActionFailed, "agent: "+truncate(r.Error, 500), ptr("agent_error")
	}
	exit := r.ExitCode
	if exit == nil {
		code := 0
		if !r.Success {
			code = -1
		}
		exit = &code
	}
	stdout := truncate(r.Stdout, 10000)
	stderr := r.Stderr
	if stderr == "" {
		stderr = r.Error
	}
	stderr = truncate(stderr, 10000)
	return e.move(ctx, id, "agent:"+serverID, []string{homelabcmd.ActionExecuting}, &detail, func(cur *homelabcmd.Action, now time.Time) (homelabcmd.ActionUpdate, error) {
		if cur.ServerID != serverID { // an agent sees only its own server's actions
			return homelabcmd.ActionUpdate{}, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Action %d not found", id)
		}
		if t, _ := homelabcmd.LookupActionType(cur.ActionType); t.Verb != "" && r.Success {
			detail = t.Verb + "ed in " + took
			if t.Verb == "stop" {
				detail = "stopped in " + took
			}
		}
		if cur.ActionType == homelabcmd.ActionUpgradeAgent && r.Success {
			detail = "binary replaced in " + took + "; the agent restarts into the new version"
		}
		if cur.ActionType == homelabcmd.ActionApplyUpdates && r.Success {
			detail = "updates applied in " + took
			if r.RebootRequired != nil && *r.RebootRequired {
				detail += "; the machine needs a reboot"
			}
		}
		return homelabcmd.ActionUpdate{Status: to, CompletedAt: &now, ExitCode: exit, Stdout: &stdout, Stderr: &stderr,
			DurationMS: &r.DurationMS, FailureReason: reason, RebootRequired: r.RebootRequired}, nil
	})
}

// ClaimCommands hands the approved actions of a server to its agent and
// marks them executing, atomically, so each is carried out once even when
// several hubs or connections race for it.
func (e *Engine) ClaimCommands(ctx context.Context, serverID string) ([]homelabcmd.PendingCommand, error) {
	var out []homelabcmd.PendingCommand
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) (err error) {
		srv, err := tx.FindServer(ctx, serverID)
		if err != nil {
			return err
		}
		out, err = e.claimCommands(ctx, tx, serverID, srv.Capabilities)
		return err
	})
	return out, err
}

// claimCommands hands out the approved actions of the types an agent with
// caps can run; the others stay approved, with a waiting reason.
func (e *Engine) claimCommands(ctx context.Context, tx homelabcmd.Tx, serverID string, caps []string) ([]homelabcmd.PendingCommand, error) {
	cmds, err := tx.ClaimCommands(ctx, serverID, homelabcmd.DeliverableTypes(caps))
	if err != nil {
		return nil, err
	}
	from, detail := homelabcmd.ActionApproved, "delivered to the agent"
	for _, c := range cmds {
		ev := homelabcmd.ActionEvent{Actor: "agent:" + serverID, FromStatus: &from, ToStatus: homelabcmd.ActionExecuting, Detail: &detail}
		if err := tx.AddActionEvent(ctx, c.ActionID, ev); err != nil {
			return nil, err
		}
	}
	return cmds, nil
}

// ExpireActions fails actions that were not picked up or finished within
// the timeout, and settles verification of restarts whose grace period
// passed without the unit reporting running. Safe to run on every hub.
func (e *Engine) ExpireActions(ctx context.Context) (int, error) {
	p := e.restart
	n := 0
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		ids, err := tx.TimeOutActions(ctx, since(tx, p.PickupTimeout))
		if err != nil {
			return err
		}
		for _, id := range ids {
			detail := "timeout: the agent did not carry it out within " + p.PickupTimeout.String()
			// Never handed out: say why (the agent lacks the capability).
			if a, err := tx.FindAction(ctx, id); err == nil && a.ExecutedAt == nil {
				if srv, err := tx.FindServer(ctx, a.ServerID); err == nil {
					if why := homelabcmd.WaitingReason(a.ActionType, srv.Capabilities); why != nil {
						detail = "timeout: never handed to the agent: " + *why
					}
				}
			}
			if err := tx.AddActionEvent(ctx, id, homelabcmd.ActionEvent{Actor: "hub", ToStatus: homelabcmd.ActionFailed, Detail: &detail}); err != nil {
				return err
			}
		}
		n = len(ids)
		if err := tx.SettleRestarts(ctx, since(tx, p.GracePeriod)); err != nil {
			return err
		}
		// An upgraded agent restarts (systemd waits RestartSec) and may
		// roll back within minutes: its new version has until the pickup
		// timeout to show.
		return tx.SettleUpgrades(ctx, since(tx, p.PickupTimeout))
	})
	return n, err
}

func ptr[T any](v T) *T { return &v }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// commandResults finishes the executing actions the original v1 agent
// reports it ran (exit code 0 completes, anything else fails) and returns
// the ids to acknowledge: every reported id, also of actions already
// finished (a repeat, or timed out meanwhile) or unknown to this server,
// so the agent stops resending them.
func (e *Engine) commandResults(ctx context.Context, tx homelabcmd.Tx, serverID string, results []homelabcmd.CommandResult) ([]int64, error) {
	acked := []int64{}
	for _, r := range results {
		if slices.Contains(acked, r.ActionID) {
			continue
		}
		acked = append(acked, r.ActionID)
		cur, err := tx.FindAction(ctx, r.ActionID)
		if homelabcmd.ErrorCode(err) == homelabcmd.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if cur.ServerID != serverID || cur.Status != homelabcmd.ActionExecuting {
			continue
		}
		now := tx.Now()
		exit := -1
		if r.ExitCode != nil {
			exit = *r.ExitCode
		}
		stdout, stderr := truncate(r.Stdout, 10000), truncate(r.Stderr, 10000)
		u := homelabcmd.ActionUpdate{Status: homelabcmd.ActionCompleted, CompletedAt: &now, ExitCode: &exit, Stdout: &stdout, Stderr: &stderr}
		detail := "the agent reported exit code " + strconv.Itoa(exit) + " (command_results)"
		if exit != 0 {
			u.Status, u.FailureReason = homelabcmd.ActionFailed, ptr("agent_error")
		}
		if r.ExecutedAt != nil && r.CompletedAt != nil && !r.CompletedAt.Before(r.ExecutedAt.Time) {
			ms := r.CompletedAt.Sub(r.ExecutedAt.Time).Milliseconds()
			u.DurationMS = &ms
		}
		if ok, err := tx.MoveAction(ctx, cur.ID, homelabcmd.ActionExecuting, u); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		from := homelabcmd.ActionExecuting
		if err := tx.AddActionEvent(ctx, cur.ID, homelabcmd.ActionEvent{Actor: "agent:" + serverID, FromStatus: &from, ToStatus: u.Status, Detail: &detail}); err != nil {
			return nil, err
		}
		announceAction(tx, &homelabcmd.Action{ID: cur.ID, ServerID: serverID, Status: u.Status, ServiceName: cur.ServiceName})
	}
	return acked, nil
}

// CreateAction queues an action of a whitelisted type (POST
// /api/v1/actions, the original's route): validation as the original
// (EINVALID for an unknown type or a missing service, EFORBIDDEN for a
// type not on the whitelist), ENOTFOUND (server), ECONFLICT for an inactive
// server; then the type's own rules (a restart's guard rails).
func (e *Engine) CreateAction(ctx context.Context, serverID, actionType, service, actor string) (*homelabcmd.Action, error) {
	t, err := homelabcmd.CheckCreatable(actionType, service)
	if err != nil {
		return nil, err
	}
	err = e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		srv, err := tx.FindServer(ctx, serverID)
		if err == nil && srv.IsInactive {
			err = homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' is inactive", serverID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if t.Unit != "" { // a restart or a container action: its guard rails
		return e.CreateUnitAction(ctx, serverID, t.Name, service, actor)
	}
	var out *homelabcmd.Action
	err = e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		srv, err := tx.FindServer(ctx, serverID)
		if err != nil {
			return err
		}
		now := tx.Now()
		a := &homelabcmd.Action{ServerID: serverID, ActionType: t.Name, Status: homelabcmd.ActionApproved,
			CreatedAt: now, CreatedBy: actor, ApprovedAt: &now, ApprovedBy: ptr("auto")}
		if t.NeedsService {
			a.ServiceName = &service
		}
		if t.Command != nil {
			a.Command = t.Command(service)
		}
		detail := "approved automatically"
		switch {
		case t.NeedsApproval:
			a.Status, a.ApprovedAt, a.ApprovedBy = homelabcmd.ActionPending, nil, nil
			detail = "waiting for approval: " + t.Name + " changes the machine"
		case srv.IsPaused:
			a.Status, a.ApprovedAt, a.ApprovedBy = homelabcmd.ActionPending, nil, nil
			detail = "server is in maintenance mode: waiting for approval"
		}
		out, err = queueAction(ctx, tx, a, actor, detail, nil)
		return err
	})
	return out, err
}

// queueAction stores a new action with its first audit row (detail) and
// announces it. explain, when set, turns a uniqueness conflict into the
// error that names the active action (nil: the conflict as it is).
func queueAction(ctx context.Context, tx homelabcmd.Tx, a *homelabcmd.Action, actor, detail string, explain func() error) (*homelabcmd.Action, error) {
	if err := tx.InsertAction(ctx, a); err != nil {
		if explain != nil && homelabcmd.ErrorCode(err) == homelabcmd.ECONFLICT {
			if e := explain(); e != nil {
				return nil, e
			}
		}
		return nil, err
	}
	if err := tx.AddActionEvent(ctx, a.ID, homelabcmd.ActionEvent{Actor: actor, ToStatus: a.Status, Detail: &detail}); err != nil {
		return nil, err
	}
	out, err := tx.FindAction(ctx, a.ID)
	if err == nil {
		announceAction(tx, out)
	}
	return out, err
}
