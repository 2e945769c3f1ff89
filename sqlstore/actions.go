package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

const actionColumns = `id, server_id, action_type, status, service_name, command, alert_id, created_at, created_by,
	approved_at, approved_by, rejected_at, rejected_by, rejection_reason, executed_at, completed_at,
	exit_code, stdout, stderr, failure_reason, duration_ms, verified, verified_at`

func scanAction(row scanner) (*homelabcmd.Action, error) {
	var a homelabcmd.Action
	var approved, rejected, executed, completed, verifiedAt sql.NullTime
	var verified sql.NullBool
	if err := row.Scan(&a.ID, &a.ServerID, &a.ActionType, &a.Status, &a.ServiceName, &a.Command, &a.AlertID, &a.CreatedAt, &a.CreatedBy,
		&approved, &a.ApprovedBy, &rejected, &a.RejectedBy, &a.RejectionReason, &executed, &completed,
		&a.ExitCode, &a.Stdout, &a.Stderr, &a.FailureReason, &a.DurationMS, &verified, &verifiedAt); err != nil {
		return nil, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	a.ApprovedAt, a.RejectedAt, a.ExecutedAt, a.CompletedAt, a.VerifiedAt = timePtr(approved), timePtr(rejected), timePtr(executed), timePtr(completed), timePtr(verifiedAt)
	if verified.Valid {
		a.Verified = &verified.Bool
	}
	a.Events = []homelabcmd.ActionEvent{}
	return &a, nil
}

// CreateRestart queues a restart of a service. It is approved at once
// ("auto") unless the server is in maintenance, then it waits as pending.
// ENOTFOUND (server), EINVALID (unit name), ECONFLICT with
// existing_action_id when a restart of it is already active, or with a
// reason when the service was restarted too often recently.
func (db *DB) CreateRestart(ctx context.Context, serverID, service, actor string, p homelabcmd.RestartPolicy) (*homelabcmd.Action, error) {
	if err := homelabcmd.ValidateUnitName(service); err != nil {
		return nil, err
	}
	var out *homelabcmd.Action
	err := db.inTx(ctx, func(tx *Tx) error {
		srv, err := findServer(ctx, tx, serverID)
		if err != nil {
			return err
		}
		if id, ok, err := activeRestart(ctx, tx, serverID, service); err != nil {
			return err
		} else if ok {
			return restartConflict(id)
		}
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM remediation_actions WHERE server_id = $1 AND service_name = $2
			AND action_type = 'restart_service' AND executed_at >= $3`, serverID, service, tx.now.Add(-p.Window)).Scan(&recent); err != nil {
			return err
		}
		if p.MaxRestarts > 0 && recent >= p.MaxRestarts {
			return &homelabcmd.Error{Code: homelabcmd.ECONFLICT, Message: "Service '" + service + "' was restarted " + itoa(recent) +
				" times in the last " + p.Window.String() + "; it looks like a crash loop and needs a person, not another restart",
				Data: map[string]any{"reason": "crash_loop"}}
		}
		status, by := homelabcmd.ActionApproved, any("auto")
		var approvedAt any = tx.now
		if srv.IsPaused {
			status, by, approvedAt = homelabcmd.ActionPending, nil, nil
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO remediation_actions (server_id, action_type, status, service_name, command, created_at, created_by, approved_at, approved_by)
			VALUES ($1, 'restart_service', $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			serverID, status, service, homelabcmd.RestartCommand(service), tx.now, actor, approvedAt, by).Scan(&id)
		if isUniqueViolation(err) { // another hub queued the same restart a moment ago
			if id, ok, err2 := activeRestart(ctx, tx, serverID, service); err2 == nil && ok {
				return restartConflict(id)
			}
		}
		if err != nil {
			return err
		}
		detail := "queued"
		if status == homelabcmd.ActionApproved {
			detail = "approved automatically"
		} else {
			detail = "server is in maintenance mode: waiting for approval"
		}
		if err := addActionEvent(ctx, tx, id, actor, "", status, detail); err != nil {
			return err
		}
		out, err = findAction(ctx, tx, id)
		return err
	})
	return out, err
}

func restartConflict(id int64) error {
	return &homelabcmd.Error{Code: homelabcmd.ECONFLICT, Message: "A restart action for this service is already queued",
		Data: map[string]any{"existing_action_id": id}}
}

func activeRestart(ctx context.Context, q querier, serverID, service string) (int64, bool, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM remediation_actions WHERE server_id = $1 AND service_name = $2
		AND action_type = 'restart_service' AND status IN ('pending', 'approved', 'executing')`, serverID, service).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func addActionEvent(ctx context.Context, tx *Tx, id int64, actor, from, to, detail string) error {
	var fromV, detailV any
	if from != "" {
		fromV = from
	}
	if detail != "" {
		detailV = detail
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO action_events (action_id, at, actor, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, tx.now, actor, fromV, to, detailV)
	return err
}

// FindAction returns an action with its audit trail. ENOTFOUND.
func (db *DB) FindAction(ctx context.Context, id int64) (*homelabcmd.Action, error) {
	return findAction(ctx, db.read, id)
}

func findAction(ctx context.Context, q querier, id int64) (*homelabcmd.Action, error) {
	a, err := scanAction(q.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM remediation_actions WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "Action %d not found", id)
	}
	rows, err := q.QueryContext(ctx, `SELECT at, actor, from_status, to_status, detail FROM action_events WHERE action_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e homelabcmd.ActionEvent
		if err := rows.Scan(&e.At, &e.Actor, &e.FromStatus, &e.ToStatus, &e.Detail); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		a.Events = append(a.Events, e)
	}
	return a, rows.Err()
}

// ListActions returns matching actions, newest first, and the total count.
func (db *DB) ListActions(ctx context.Context, f homelabcmd.ActionFilter) ([]*homelabcmd.Action, int, error) {
	where, args := []string{"1=1"}, []any{}
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"server_id", f.ServerID}, {"action_type", f.ActionType}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, c.col+" = $"+itoa(len(args)))
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM remediation_actions WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := db.read.QueryContext(ctx, `SELECT `+actionColumns+` FROM remediation_actions WHERE `+cond+
		` ORDER BY created_at DESC, id DESC LIMIT $`+itoa(len(args)-1)+` OFFSET $`+itoa(len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*homelabcmd.Action{}
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// transition moves an action from one of the allowed statuses to another,
// recording who did it. ENOTFOUND, ECONFLICT when the action is in another
// status.
func (db *DB) transition(ctx context.Context, id int64, actor string, from []string, to, detail string, sets string, args ...any) (*homelabcmd.Action, error) {
	var out *homelabcmd.Action
	err := db.inTx(ctx, func(tx *Tx) error {
		cur, err := findAction(ctx, tx, id)
		if err != nil {
			return err
		}
		allowed := false
		for _, f := range from {
			allowed = allowed || cur.Status == f
		}
		if !allowed {
			return homelabcmd.Errorf(homelabcmd.ECONFLICT, "Cannot move action %d from '%s' to '%s' (it must be %s)", id, cur.Status, to, strings.Join(from, " or "))
		}
		q := `UPDATE remediation_actions SET status = $1`
		all := []any{to}
		if sets != "" {
			q += ", " + sets
			all = append(all, args...)
		}
		all = append(all, id, cur.Status)
		q += ` WHERE id = $` + itoa(len(all)-1) + ` AND status = $` + itoa(len(all))
		res, err := tx.ExecContext(ctx, q, all...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return homelabcmd.Errorf(homelabcmd.ECONFLICT, "Action %d changed meanwhile; try again", id)
		}
		if err := addActionEvent(ctx, tx, id, actor, cur.Status, to, detail); err != nil {
			return err
		}
		out, err = findAction(ctx, tx, id)
		return err
	})
	return out, err
}

// ApproveAction approves a pending action. ENOTFOUND, ECONFLICT.
func (db *DB) ApproveAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error) {
	now := db.now()
	return db.transition(ctx, id, actor, []string{homelabcmd.ActionPending}, homelabcmd.ActionApproved, "approved",
		"approved_at = $2, approved_by = $3", now, actor)
}

// RejectAction rejects a pending action with a reason. ENOTFOUND, ECONFLICT, EINVALID.
func (db *DB) RejectAction(ctx context.Context, id int64, actor, reason string) (*homelabcmd.Action, error) {
	if reason == "" || len(reason) > 1000 {
		return nil, homelabcmd.FieldError("reason", "reason must be 1-1000 characters")
	}
	now := db.now()
	return db.transition(ctx, id, actor, []string{homelabcmd.ActionPending}, homelabcmd.ActionRejected, reason,
		"rejected_at = $2, rejected_by = $3, rejection_reason = $4", now, actor, reason)
}

// CancelAction cancels a pending or approved action. ENOTFOUND, ECONFLICT.
func (db *DB) CancelAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error) {
	now := db.now()
	return db.transition(ctx, id, actor, []string{homelabcmd.ActionPending, homelabcmd.ActionApproved}, homelabcmd.ActionCancelled, "cancelled by "+actor,
		"completed_at = $2, failure_reason = 'cancelled'", now)
}

// ClaimCommands hands the approved actions of a server to its agent and
// marks them executing, atomically, so each is carried out once even when
// several hubs or connections race for it.
func (db *DB) ClaimCommands(ctx context.Context, serverID string) ([]homelabcmd.PendingCommand, error) {
	var out []homelabcmd.PendingCommand
	err := db.inTx(ctx, func(tx *Tx) error {
		var err error
		out, err = claimCommands(ctx, tx, serverID)
		return err
	})
	return out, err
}

func claimCommands(ctx context.Context, tx *Tx, serverID string) ([]homelabcmd.PendingCommand, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE remediation_actions SET status = 'executing', executed_at = $1
		WHERE server_id = $2 AND status = 'approved' RETURNING id, action_type, command, service_name`, tx.now, serverID)
	if err != nil {
		return nil, err
	}
	out := []homelabcmd.PendingCommand{}
	for rows.Next() {
		var c homelabcmd.PendingCommand
		var svc sql.NullString
		if err := rows.Scan(&c.ActionID, &c.ActionType, &c.Command, &svc); err != nil {
			rows.Close()
			return nil, err
		}
		c.Parameters = map[string]string{"service_name": svc.String}
		c.TimeoutSeconds = 60
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if err := addActionEvent(ctx, tx, c.ActionID, "agent:"+serverID, homelabcmd.ActionApproved, homelabcmd.ActionExecuting, "delivered to the agent"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HasApprovedActions reports whether a server has commands waiting, cheaply,
// so the heartbeat path only claims when there is something to claim.
func (db *DB) HasApprovedActions(ctx context.Context, serverID string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM remediation_actions WHERE server_id = $1 AND status = 'approved'`, serverID).Scan(&n)
	return n > 0, err
}

// CompleteAction records the agent's result of an executing action of its
// own server. ENOTFOUND (also for another server's action), ECONFLICT.
func (db *DB) CompleteAction(ctx context.Context, serverID string, id int64, r homelabcmd.ActionResult) (*homelabcmd.Action, error) {
	a, err := db.FindAction(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ServerID != serverID {
		return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Action %d not found", id)
	}
	to, detail := homelabcmd.ActionCompleted, "restarted in "+(time.Duration(r.DurationMS)*time.Millisecond).String()
	var reason any
	if !r.Success {
		to, detail, reason = homelabcmd.ActionFailed, "agent: "+truncate(r.Error, 500), "agent_error"
	}
	exit := r.ExitCode
	if exit == nil {
		code := 0
		if !r.Success {
			code = -1
		}
		exit = &code
	}
	now := db.now()
	return db.transition(ctx, id, "agent:"+serverID, []string{homelabcmd.ActionExecuting}, to, detail,
		"completed_at = $2, exit_code = $3, stdout = $4, stderr = $5, duration_ms = $6, failure_reason = $7",
		now, *exit, truncate(r.Stdout, 10000), truncate(firstNonEmpty(r.Stderr, r.Error), 10000), r.DurationMS, reason)
}

// ExpireActions fails actions that were not picked up or finished within
// the timeout, and settles verification of restarts whose grace period
// passed without the unit reporting running. Safe to run on every hub.
func (db *DB) ExpireActions(ctx context.Context, p homelabcmd.RestartPolicy) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE remediation_actions SET status = 'failed', failure_reason = 'timeout', completed_at = $1, exit_code = -1
			WHERE (status = 'approved' AND approved_at < $2) OR (status = 'executing' AND executed_at < $2)
			RETURNING id, server_id`, tx.now, tx.now.Add(-p.PickupTimeout))
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			var server string
			if err := rows.Scan(&id, &server); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := addActionEvent(ctx, tx, id, "hub", "", homelabcmd.ActionFailed, "timeout: the agent did not carry it out within "+p.PickupTimeout.String()); err != nil {
				return err
			}
		}
		n = len(ids)
		_, err = tx.ExecContext(ctx, `UPDATE remediation_actions SET verified = FALSE, verified_at = $1
			WHERE status = 'completed' AND verified IS NULL AND completed_at < $2`, tx.now, tx.now.Add(-p.GracePeriod))
		return err
	})
	return n, err
}

// verifyRestarts marks completed restarts verified when their unit reports
// running after the restart finished and within the grace period.
func verifyRestarts(ctx context.Context, tx *Tx, serverID string, ts time.Time, running []string, grace time.Duration) error {
	if len(running) == 0 {
		return nil
	}
	args := []any{tx.now, serverID, ts, ts.Add(-grace)}
	ph := make([]string, len(running))
	for i, s := range running {
		args = append(args, s)
		ph[i] = "$" + itoa(len(args))
	}
	_, err := tx.ExecContext(ctx, `UPDATE remediation_actions SET verified = TRUE, verified_at = $1
		WHERE server_id = $2 AND status = 'completed' AND verified IS NULL AND completed_at <= $3 AND completed_at >= $4
		AND service_name IN (`+strings.Join(ph, ", ")+`)`, args...)
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
