package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Setting returns a stored setting and whether it exists.
func (tx *Tx) Setting(ctx context.Context, key string) (string, bool, error) {
	return getConfig(ctx, tx, key)
}

// PutSetting stores a setting, replacing any previous value.
func (tx *Tx) PutSetting(ctx context.Context, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO config (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, tx.now)
	return err
}

// FindServer returns a server. ENOTFOUND.
func (tx *Tx) FindServer(ctx context.Context, id string) (*homelabcmd.Server, error) {
	return findServer(ctx, tx, id)
}

// ExpectedServices returns the server's expected services by name.
func (tx *Tx) ExpectedServices(ctx context.Context, serverID string) ([]homelabcmd.ExpectedService, error) {
	return expectedForRules(ctx, tx, serverID)
}

func expectedForRules(ctx context.Context, q querier, serverID string) ([]homelabcmd.ExpectedService, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, service_name, is_critical, enabled FROM expected_services WHERE server_id = $1 ORDER BY kind, service_name`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.ExpectedService
	for rows.Next() {
		e := homelabcmd.ExpectedService{ServerID: serverID}
		if err := rows.Scan(&e.Kind, &e.ServiceName, &e.IsCritical, &e.Enabled); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RuleStates returns the rules' memory of a server by key.
func (tx *Tx) RuleStates(ctx context.Context, serverID string) (map[string]homelabcmd.RuleState, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rule_key, first_breach_at, missing_count, grace_until, restarts, last_notified_at,
		unknown_count, booted_at, replay_down_since, recent_events, last_status, flapping_since, recovered_at
		FROM alert_rule_state WHERE server_id = $1`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]homelabcmd.RuleState{}
	for rows.Next() {
		var st homelabcmd.RuleState
		var first, grace, last, booted, replayDown, flapping, recovered sql.NullTime
		var restarts sql.NullInt64
		var events, lastStatus sql.NullString
		if err := rows.Scan(&st.Key, &first, &st.MissingCount, &grace, &restarts, &last, &st.UnknownCount, &booted, &replayDown,
			&events, &lastStatus, &flapping, &recovered); err != nil {
			return nil, err
		}
		st.LastStatus, st.FlappingSince, st.RecoveredAt = lastStatus.String, timePtr(flapping), timePtr(recovered)
		if events.Valid {
			var ms []int64
			_ = json.Unmarshal([]byte(events.String), &ms) // written by us; a bad list only forgets history
			for _, m := range ms {
				st.Events = append(st.Events, time.UnixMilli(m).UTC())
			}
		}
		st.FirstBreachAt, st.GraceUntil, st.LastNotifiedAt = timePtr(first), timePtr(grace), timePtr(last)
		st.BootedAt, st.ReplayDownSince = timePtr(booted), timePtr(replayDown)
		if restarts.Valid {
			n := int(restarts.Int64)
			st.Restarts = &n
		}
		out[st.Key] = st
	}
	return out, rows.Err()
}

// SaveRuleState upserts one rule state.
func (tx *Tx) SaveRuleState(ctx context.Context, serverID string, st homelabcmd.RuleState) error {
	var events, lastStatus any
	if len(st.Events) > 0 {
		ms := make([]int64, len(st.Events))
		for i, t := range st.Events {
			ms[i] = t.UnixMilli()
		}
		b, _ := json.Marshal(ms)
		events = string(b)
	}
	if st.LastStatus != "" {
		lastStatus = st.LastStatus
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_rule_state (server_id, rule_key, first_breach_at, missing_count, grace_until, restarts, last_notified_at,
		unknown_count, booted_at, replay_down_since, recent_events, last_status, flapping_since, recovered_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (server_id, rule_key) DO UPDATE SET first_breach_at = excluded.first_breach_at, missing_count = excluded.missing_count,
		grace_until = excluded.grace_until, restarts = excluded.restarts, last_notified_at = excluded.last_notified_at,
		unknown_count = excluded.unknown_count, booted_at = excluded.booted_at, replay_down_since = excluded.replay_down_since,
		recent_events = excluded.recent_events, last_status = excluded.last_status, flapping_since = excluded.flapping_since,
		recovered_at = excluded.recovered_at, updated_at = excluded.updated_at`,
		serverID, st.Key, nullTime(st.FirstBreachAt), st.MissingCount, nullTime(st.GraceUntil), st.Restarts, nullTime(st.LastNotifiedAt),
		st.UnknownCount, nullTime(st.BootedAt), nullTime(st.ReplayDownSince), events, lastStatus, nullTime(st.FlappingSince), nullTime(st.RecoveredAt), tx.now)
	return err
}

// MarkNotified records that the alert under key was notified now.
func (tx *Tx) MarkNotified(ctx context.Context, serverID, key string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_rule_state (server_id, rule_key, missing_count, last_notified_at, updated_at)
		VALUES ($1, $2, 0, $3, $3) ON CONFLICT (server_id, rule_key) DO UPDATE SET last_notified_at = excluded.last_notified_at, updated_at = excluded.updated_at`,
		serverID, key, tx.now)
	return err
}

// UnresolvedAlerts returns the server's unresolved alerts by dedup key.
func (tx *Tx) UnresolvedAlerts(ctx context.Context, serverID string) (map[string]*homelabcmd.Alert, error) {
	return unresolvedAlerts(ctx, tx, serverID)
}

func unresolvedAlerts(ctx context.Context, q querier, serverID string) (map[string]*homelabcmd.Alert, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE server_id = $1 AND status <> 'resolved'`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*homelabcmd.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out[a.DedupKey()] = a
	}
	return out, rows.Err()
}

// HubRestartsSince returns the restarts the hub handed to the agent after
// since, by service.
func (tx *Tx) HubRestartsSince(ctx context.Context, serverID string, since time.Time) (map[string]time.Time, error) {
	q := tx
	rows, err := q.QueryContext(ctx, `SELECT service_name, executed_at FROM remediation_actions
		WHERE server_id = $1 AND action_type IN ('restart_service', 'restart_container', 'start_container') AND executed_at IS NOT NULL AND executed_at > $2`, serverID, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name sql.NullString
		var at time.Time
		if err := rows.Scan(&name, &at); err != nil {
			return nil, err
		}
		if name.Valid && at.After(out[name.String]) {
			out[name.String] = at.UTC()
		}
	}
	return out, rows.Err()
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return utc(*t)
}

// InsertAlert stores a new open alert; false when an unresolved alert with
// its dedup key exists already (the partial unique index decides, so two
// hubs cannot both open it).
func (tx *Tx) InsertAlert(ctx context.Context, a *homelabcmd.Alert) (bool, error) {
	err := tx.QueryRowContext(ctx, `INSERT INTO alerts (server_id, alert_type, severity, status, title, message, service_name,
		dedup_key, threshold_value, actual_value, created_at, updated_at, auto_resolved, notified_at)
		VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $10, $10, FALSE, $11)
		ON CONFLICT (server_id, dedup_key) WHERE status <> 'resolved' DO NOTHING RETURNING id`,
		a.ServerID, a.AlertType, a.Severity, a.Title, a.Message, a.ServiceName, a.DedupKey(), a.ThresholdValue, a.ActualValue, tx.now, nullTime(a.NotifiedAt)).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// EscalateAlert stores a's new severity, values, title and message unless it was
// resolved meanwhile.
func (tx *Tx) EscalateAlert(ctx context.Context, a *homelabcmd.Alert) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET severity = $1, threshold_value = $2, actual_value = $3, message = $4, title = $5, updated_at = $6
		WHERE id = $7 AND status <> 'resolved'`, a.Severity, a.ThresholdValue, a.ActualValue, a.Message, a.Title, tx.now, a.ID)
	return affected(res, err)
}

// AutoResolveAlert resolves a (auto_resolved) unless it is resolved already.
func (tx *Tx) AutoResolveAlert(ctx context.Context, a *homelabcmd.Alert) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'resolved', resolved_at = $1, updated_at = $1, auto_resolved = TRUE,
		actual_value = $2, resolution_reason = $3 WHERE id = $4 AND status <> 'resolved'`, tx.now, a.ActualValue, a.ResolutionReason, a.ID)
	return affected(res, err)
}

// MarkAlertNotified records when an alert's "opened" goes out.
func (tx *Tx) MarkAlertNotified(ctx context.Context, id int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET notified_at = $1 WHERE id = $2`, utc(at), id)
	return err
}

// LastOpeningNotified returns when an alert of the server last had its
// opening notified after since and before now.
func (tx *Tx) LastOpeningNotified(ctx context.Context, serverID string, since time.Time) (*time.Time, error) {
	var at sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT notified_at FROM alerts WHERE server_id = $1 AND notified_at > $2 AND notified_at < $3
		ORDER BY notified_at DESC LIMIT 1`, serverID, utc(since), tx.now).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return timePtr(at), err
}

func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// PendingBreaches lists the breaches of the given metric rules still
// inside their sustain window, for GET /alerts/pending.
func (db *DB) PendingBreaches(ctx context.Context, metrics []string) ([]homelabcmd.PendingBreach, error) {
	args := make([]any, len(metrics))
	ph := make([]string, len(metrics))
	for i, m := range metrics {
		args[i], ph[i] = m, "$"+itoa(i+1)
	}
	if len(metrics) == 0 {
		return []homelabcmd.PendingBreach{}, nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT r.server_id, COALESCE(s.display_name, s.hostname), r.rule_key, r.first_breach_at
		FROM alert_rule_state r JOIN servers s ON s.id = r.server_id
		WHERE r.rule_key IN (`+strings.Join(ph, ", ")+`) AND r.first_breach_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.server_id = r.server_id AND a.dedup_key = r.rule_key AND a.status <> 'resolved')
		ORDER BY r.first_breach_at`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.PendingBreach{}
	for rows.Next() {
		var p homelabcmd.PendingBreach
		if err := rows.Scan(&p.ServerID, &p.ServerName, &p.Metric, &p.FirstBreachAt); err != nil {
			return nil, err
		}
		p.FirstBreachAt = p.FirstBreachAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
