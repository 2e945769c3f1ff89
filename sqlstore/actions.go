package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

const actionColumns = `id, server_id, action_type, status, service_name, command, alert_id, created_at, created_by,
	approved_at, approved_by, rejected_at, rejected_by, rejection_reason, executed_at, completed_at,
	exit_code, stdout, stderr, failure_reason, duration_ms, verified, verified_at, reboot_required,
	(SELECT capabilities FROM servers WHERE servers.id = remediation_actions.server_id)`

func scanAction(row scanner) (*homelabcmd.Action, error) {
	var a homelabcmd.Action
	var approved, rejected, executed, completed, verifiedAt sql.NullTime
	var verified, reboot sql.NullBool
	var caps sql.NullString
	if err := row.Scan(&a.ID, &a.ServerID, &a.ActionType, &a.Status, &a.ServiceName, &a.Command, &a.AlertID, &a.CreatedAt, &a.CreatedBy,
		&approved, &a.ApprovedBy, &rejected, &a.RejectedBy, &a.RejectionReason, &executed, &completed,
		&a.ExitCode, &a.Stdout, &a.Stderr, &a.FailureReason, &a.DurationMS, &verified, &verifiedAt, &reboot, &caps); err != nil {
		return nil, err
	}
	if reboot.Valid {
		a.RebootRequired = &reboot.Bool
	}
	if a.Status == homelabcmd.ActionApproved {
		a.WaitingReason = homelabcmd.WaitingReason(a.ActionType, splitCapabilities(caps))
	}
	a.CreatedAt = a.CreatedAt.UTC()
	a.ApprovedAt, a.RejectedAt, a.ExecutedAt, a.CompletedAt, a.VerifiedAt = timePtr(approved), timePtr(rejected), timePtr(executed), timePtr(completed), timePtr(verifiedAt)
	if verified.Valid {
		a.Verified = &verified.Bool
	}
	a.Events = []homelabcmd.ActionEvent{}
	return &a, nil
}

// ActiveRestart returns the pending, approved or executing restart of a
// service, if any.
func (tx *Tx) ActiveRestart(ctx context.Context, serverID, service string) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM remediation_actions WHERE server_id = $1 AND service_name = $2
		AND action_type = 'restart_service' AND status IN ('pending', 'approved', 'executing')`, serverID, service).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// ActiveUpgrade returns the pending, approved or executing agent upgrade
// of a server, if any.
func (tx *Tx) ActiveUpgrade(ctx context.Context, serverID string) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM remediation_actions WHERE server_id = $1
		AND action_type = 'upgrade_agent' AND status IN ('pending', 'approved', 'executing')`, serverID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// actionTypesSQL is the SQL list of the action types on units of kind
// (verb "" for all of them, else only that verb).
func actionTypesSQL(kind homelabcmd.UnitKind, verbs ...string) string {
	var names []string
	for _, t := range homelabcmd.ActionTypes {
		if t.Unit == kind && (len(verbs) == 0 || slices.Contains(verbs, t.Verb)) {
			names = append(names, "'"+t.Name+"'")
		}
	}
	return "(" + strings.Join(names, ", ") + ")"
}

// ActiveUnitAction returns the pending, approved or executing action on a
// unit of kind, if any.
func (tx *Tx) ActiveUnitAction(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM remediation_actions WHERE server_id = $1 AND service_name = $2
		AND action_type IN `+actionTypesSQL(kind)+` AND status IN ('pending', 'approved', 'executing')`, serverID, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// UnitRestartsSince counts the restarts and starts of a unit of kind
// executed since then (the crash-loop guard).
func (tx *Tx) UnitRestartsSince(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string, since time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM remediation_actions WHERE server_id = $1 AND service_name = $2
		AND action_type IN `+actionTypesSQL(kind, "restart", "start")+` AND executed_at >= $3`, serverID, name, since).Scan(&n)
	return n, err
}

// RestartsSince counts a service's restarts executed since then.
func (tx *Tx) RestartsSince(ctx context.Context, serverID, service string, since time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM remediation_actions WHERE server_id = $1 AND service_name = $2
		AND action_type = 'restart_service' AND executed_at >= $3`, serverID, service, since).Scan(&n)
	return n, err
}

// InsertAction stores a new action and sets its ID. ECONFLICT when an
// active restart of the service exists (the partial unique index).
func (tx *Tx) InsertAction(ctx context.Context, a *homelabcmd.Action) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO remediation_actions (server_id, action_type, status, service_name, command, created_at, created_by, approved_at, approved_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		a.ServerID, a.ActionType, a.Status, a.ServiceName, a.Command, a.CreatedAt, a.CreatedBy, nullTime(a.ApprovedAt), a.ApprovedBy).Scan(&a.ID)
	what := "A restart action for this service is already queued"
	switch a.ActionType {
	case homelabcmd.ActionUpgradeAgent:
		what = "An agent upgrade for this server is already queued"
	case homelabcmd.ActionApplyUpdates:
		what = "Applying updates on this server is already queued"
	case homelabcmd.ActionApplyConfigPack:
		what = "Applying a configuration pack on this server is already queued"
	}
	return translate(err, what, "Server '"+a.ServerID+"' not found")
}

// AddActionEvent appends to the action's audit trail.
func (tx *Tx) AddActionEvent(ctx context.Context, id int64, e homelabcmd.ActionEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO action_events (action_id, at, actor, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, tx.now, e.Actor, e.FromStatus, e.ToStatus, e.Detail)
	return err
}

// FindAction returns an action with its audit trail. ENOTFOUND.
func (tx *Tx) FindAction(ctx context.Context, id int64) (*homelabcmd.Action, error) {
	return findAction(ctx, tx, id)
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
// HasApprovedActions reports whether an approved action waits for the
// server: the agents' long-polls ask it at every wake-up, and nearly always
// the answer is no, which one indexed read says without the write
// transaction of a claim.
func (db *DB) HasApprovedActions(ctx context.Context, serverID string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM remediation_actions
		WHERE server_id = $1 AND status = 'approved' LIMIT 1) AS approved`, serverID).Scan(&n)
	return n > 0, err
}

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

// MoveAction applies u if the action is still in status from; false
// when it moved meanwhile.
func (tx *Tx) MoveAction(ctx context.Context, id int64, from string, u homelabcmd.ActionUpdate) (bool, error) {
	sets, args := []string{"status = $1"}, []any{u.Status}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, col+" = $"+itoa(len(args)))
	}
	for _, f := range []struct {
		col string
		v   any
		set bool
	}{
		{"approved_at", nullTime(u.ApprovedAt), u.ApprovedAt != nil}, {"approved_by", u.ApprovedBy, u.ApprovedBy != nil},
		{"rejected_at", nullTime(u.RejectedAt), u.RejectedAt != nil}, {"rejected_by", u.RejectedBy, u.RejectedBy != nil},
		{"rejection_reason", u.Rejection, u.Rejection != nil}, {"completed_at", nullTime(u.CompletedAt), u.CompletedAt != nil},
		{"exit_code", u.ExitCode, u.ExitCode != nil}, {"stdout", u.Stdout, u.Stdout != nil}, {"stderr", u.Stderr, u.Stderr != nil},
		{"duration_ms", u.DurationMS, u.DurationMS != nil}, {"failure_reason", u.FailureReason, u.FailureReason != nil},
		{"reboot_required", u.RebootRequired, u.RebootRequired != nil},
	} {
		if f.set {
			add(f.col, f.v)
		}
	}
	args = append(args, id, from)
	res, err := tx.ExecContext(ctx, `UPDATE remediation_actions SET `+strings.Join(sets, ", ")+
		` WHERE id = $`+itoa(len(args)-1)+` AND status = $`+itoa(len(args)), args...)
	return affected(res, err)
}

// ClaimCommands marks the server's approved actions executing and returns
// them, atomically, so each is carried out once even when several hubs or
// connections race for it.
func (tx *Tx) ClaimCommands(ctx context.Context, serverID string, types []string) ([]homelabcmd.PendingCommand, error) {
	if len(types) == 0 {
		return []homelabcmd.PendingCommand{}, nil
	}
	args := []any{tx.now, serverID}
	in := make([]string, len(types))
	for i, t := range types {
		args = append(args, t)
		in[i] = "$" + itoa(len(args))
	}
	rows, err := tx.QueryContext(ctx, `UPDATE remediation_actions SET status = 'executing', executed_at = $1
		WHERE server_id = $2 AND status = 'approved' AND action_type IN (`+strings.Join(in, ", ")+`)
		RETURNING id, action_type, command, service_name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.PendingCommand{}
	for rows.Next() {
		var c homelabcmd.PendingCommand
		var svc sql.NullString
		if err := rows.Scan(&c.ActionID, &c.ActionType, &c.Command, &svc); err != nil {
			return nil, err
		}
		c.Parameters = map[string]string{"service_name": svc.String}
		c.TimeoutSeconds = 60
		if t, ok := homelabcmd.LookupActionType(c.ActionType); ok && t.TimeoutSeconds > 0 {
			c.TimeoutSeconds = t.TimeoutSeconds
		}
		if c.ActionType == homelabcmd.ActionUpgradeAgent {
			c.Parameters = map[string]string{"target_version": homelabcmd.UpgradeTarget(c.Command)}
			c.TimeoutSeconds = 300
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TimeOutActions fails approved actions approved before cut and executing
// ones handed out before cut (reason timeout) and returns their ids. An
// executing apply_updates has its own run time (up to its timeout) more.
func (tx *Tx) TimeOutActions(ctx context.Context, cut time.Time) ([]int64, error) {
	long := cut
	if t, ok := homelabcmd.LookupActionType(homelabcmd.ActionApplyUpdates); ok {
		long = cut.Add(-time.Duration(t.TimeoutSeconds) * time.Second)
	}
	return columnOf[int64](ctx, tx, `UPDATE remediation_actions SET status = 'failed', failure_reason = 'timeout', completed_at = $1, exit_code = -1
		WHERE (status = 'approved' AND approved_at < $2)
		OR (status = 'executing' AND action_type <> 'apply_updates' AND executed_at < $2)
		OR (status = 'executing' AND action_type = 'apply_updates' AND executed_at < $3)
		RETURNING id`, tx.now, cut, long)
}

// SettleRestarts marks completed restarts that finished before cut and
// were never verified as unverified.
func (tx *Tx) SettleRestarts(ctx context.Context, cut time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE remediation_actions SET verified = FALSE, verified_at = $1
		WHERE action_type IN ('restart_service', 'restart_container', 'start_container', 'stop_container')
		AND status = 'completed' AND verified IS NULL AND completed_at < $2`, tx.now, cut)
	return err
}

// SettleUpgrades marks completed agent upgrades that finished before cut
// and were never verified as unverified.
func (tx *Tx) SettleUpgrades(ctx context.Context, cut time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE remediation_actions SET verified = FALSE, verified_at = $1
		WHERE action_type = 'upgrade_agent' AND status = 'completed' AND verified IS NULL AND completed_at < $2`, tx.now, cut)
	return err
}

// VerifyUpgrades settles the server's agent upgrades completed since then
// by the version its agent reports: verified when it is the target,
// unverified when it is another. The later report wins, so the old agent's
// last heartbeat before it exits does not stick, and a rollback after the
// new binary's heartbeats were replayed from the outbox does.
func (tx *Tx) VerifyUpgrades(ctx context.Context, serverID, version string, since time.Time) error {
	if version == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, command, verified FROM remediation_actions
		WHERE server_id = $1 AND action_type = 'upgrade_agent' AND status = 'completed' AND completed_at >= $2`, serverID, since)
	if err != nil {
		return err
	}
	type change struct {
		id   int64
		want bool
	}
	var changes []change
	for rows.Next() {
		var id int64
		var cmd string
		var verified sql.NullBool
		if err := rows.Scan(&id, &cmd, &verified); err != nil {
			rows.Close()
			return err
		}
		want := homelabcmd.ReportedVersion(homelabcmd.UpgradeTarget(cmd)) == version
		if !verified.Valid || verified.Bool != want {
			changes = append(changes, change{id, want})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE remediation_actions SET verified = $1, verified_at = $2 WHERE id = $3`, c.want, tx.now, c.id); err != nil {
			return err
		}
	}
	return nil
}

// VerifyRestarts marks completed restarts verified when their unit reports
// running after the restart finished and within the grace period.
func (tx *Tx) VerifyRestarts(ctx context.Context, serverID string, ts time.Time, running []string, grace time.Duration) error {
	return tx.verifyUnitActions(ctx, serverID, ts, actionTypesSQL(homelabcmd.KindSystemd), running, grace)
}

// VerifyContainerActions marks completed container actions verified when
// the container reports the state they aimed at (running for restart and
// start, stopped for stop) after they finished and within the grace period.
func (tx *Tx) VerifyContainerActions(ctx context.Context, serverID string, ts time.Time, running, stopped []string, grace time.Duration) error {
	if err := tx.verifyUnitActions(ctx, serverID, ts, actionTypesSQL(homelabcmd.KindContainer, "restart", "start"), running, grace); err != nil {
		return err
	}
	return tx.verifyUnitActions(ctx, serverID, ts, actionTypesSQL(homelabcmd.KindContainer, "stop"), stopped, grace)
}

func (tx *Tx) verifyUnitActions(ctx context.Context, serverID string, ts time.Time, types string, running []string, grace time.Duration) error {
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
		AND action_type IN `+types+` AND service_name IN (`+strings.Join(ph, ", ")+`)`, args...)
	return err
}
