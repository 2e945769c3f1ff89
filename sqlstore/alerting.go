package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/notify"
)

const configKeyThresholds = "thresholds"

// alertConfig returns the rule configuration: the stored thresholds over
// the hub's defaults (db.Alerting), and the restart grace period.
func (db *DB) alertConfig(ctx context.Context, q querier) (alerting.Config, error) {
	cfg := db.Alerting
	def := alerting.DefaultConfig()
	if cfg.Thresholds.ServerOfflineSeconds == 0 {
		cfg.Thresholds = def.Thresholds
	}
	if cfg.MissingAfter == 0 {
		cfg.MissingAfter = def.MissingAfter
	}
	cfg.RestartGrace = db.RestartPolicy.GracePeriod
	var raw string
	err := q.QueryRowContext(ctx, `SELECT value FROM config WHERE key = $1`, configKeyThresholds).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return cfg, nil
	} else if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal([]byte(raw), &cfg.Thresholds); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Thresholds returns the stored alert thresholds, or the defaults.
func (db *DB) Thresholds(ctx context.Context) (alerting.Thresholds, error) {
	cfg, err := db.alertConfig(ctx, db.read)
	return cfg.Thresholds, err
}

// UpdateThresholds merges a partial update into the stored thresholds and
// returns them with the names of the changed fields. EINVALID.
func (db *DB) UpdateThresholds(ctx context.Context, p alerting.ThresholdsPatch) (alerting.Thresholds, []string, error) {
	var out alerting.Thresholds
	var updated []string
	err := db.inTx(ctx, func(tx *Tx) error {
		cfg, err := db.alertConfig(ctx, tx)
		if err != nil {
			return err
		}
		if out, updated, err = cfg.Thresholds.Apply(p); err != nil {
			return err
		}
		b, _ := json.Marshal(out)
		_, err = tx.ExecContext(ctx, `INSERT INTO config (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, configKeyThresholds, string(b), tx.now)
		return err
	})
	return out, updated, err
}

// evaluateAlerts runs the heartbeat rules for a stored heartbeat inside its
// transaction and writes the alert rows, rule state and outbox rows there.
// The servers row is already updated (and so locked on PostgreSQL) by this
// transaction, which serialises evaluations of one server across hubs.
func evaluateAlerts(ctx context.Context, tx *Tx, serverID string, hb *homelabcmd.Heartbeat, ts time.Time, expected []homelabcmd.ExpectedService) (int, error) {
	cfg, err := tx.db.alertConfig(ctx, tx)
	if err != nil {
		return 0, err
	}
	srv, err := alertServer(ctx, tx, serverID)
	if err != nil {
		return 0, err
	}
	in := alerting.Input{Server: srv, Metrics: hb.Metrics, Services: hb.Services, ReportedAt: ts, Expected: expected}
	if in.States, err = loadRuleStates(ctx, tx, serverID); err != nil {
		return 0, err
	}
	if in.Alerts, err = unresolvedAlerts(ctx, tx, serverID); err != nil {
		return 0, err
	}
	if in.HubRestarts, err = recentRestarts(ctx, tx, serverID, tx.now.Add(-cfg.RestartGrace)); err != nil {
		return 0, err
	}
	res := alerting.Evaluate(in, cfg, tx.now)
	for _, st := range res.States {
		if err := saveRuleState(ctx, tx, serverID, st); err != nil {
			return 0, err
		}
	}
	o := &outboxWriter{}
	for _, tr := range res.Transitions {
		if err := applyTransition(ctx, tx, o, srv.Name, tr); err != nil {
			return 0, err
		}
	}
	return len(res.Transitions), nil
}

func alertServer(ctx context.Context, q querier, id string) (alerting.Server, error) {
	var s alerting.Server
	var host string
	var display sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, hostname, display_name, machine_type, is_paused FROM servers WHERE id = $1`, id).
		Scan(&s.ID, &host, &display, &s.MachineType, &s.Paused)
	s.Name = host
	if display.Valid && display.String != "" {
		s.Name = display.String
	}
	return s, notFound(err, "Server '%s' not found", id)
}

func expectedForRules(ctx context.Context, q querier, serverID string) ([]homelabcmd.ExpectedService, error) {
	rows, err := q.QueryContext(ctx, `SELECT service_name, is_critical, enabled FROM expected_services WHERE server_id = $1 ORDER BY service_name`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.ExpectedService
	for rows.Next() {
		e := homelabcmd.ExpectedService{ServerID: serverID}
		if err := rows.Scan(&e.ServiceName, &e.IsCritical, &e.Enabled); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func loadRuleStates(ctx context.Context, q querier, serverID string) (map[string]alerting.State, error) {
	rows, err := q.QueryContext(ctx, `SELECT rule_key, first_breach_at, missing_count, grace_until, restarts, last_notified_at
		FROM alert_rule_state WHERE server_id = $1`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]alerting.State{}
	for rows.Next() {
		var st alerting.State
		var first, grace, last sql.NullTime
		var restarts sql.NullInt64
		if err := rows.Scan(&st.Key, &first, &st.MissingCount, &grace, &restarts, &last); err != nil {
			return nil, err
		}
		st.FirstBreachAt, st.GraceUntil, st.LastNotifiedAt = timePtr(first), timePtr(grace), timePtr(last)
		if restarts.Valid {
			n := int(restarts.Int64)
			st.Restarts = &n
		}
		out[st.Key] = st
	}
	return out, rows.Err()
}

func saveRuleState(ctx context.Context, tx *Tx, serverID string, st alerting.State) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_rule_state (server_id, rule_key, first_breach_at, missing_count, grace_until, restarts, last_notified_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (server_id, rule_key) DO UPDATE SET first_breach_at = excluded.first_breach_at, missing_count = excluded.missing_count,
		grace_until = excluded.grace_until, restarts = excluded.restarts, last_notified_at = excluded.last_notified_at, updated_at = excluded.updated_at`,
		serverID, st.Key, nullTime(st.FirstBreachAt), st.MissingCount, nullTime(st.GraceUntil), st.Restarts, nullTime(st.LastNotifiedAt), tx.now)
	return err
}

func setLastNotified(ctx context.Context, tx *Tx, serverID, key string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_rule_state (server_id, rule_key, missing_count, last_notified_at, updated_at)
		VALUES ($1, $2, 0, $3, $3) ON CONFLICT (server_id, rule_key) DO UPDATE SET last_notified_at = excluded.last_notified_at, updated_at = excluded.updated_at`,
		serverID, key, tx.now)
	return err
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

// recentRestarts returns the restarts the hub handed to the agent within
// the grace period (since then), by service.
func recentRestarts(ctx context.Context, q querier, serverID string, since time.Time) (map[string]time.Time, error) {
	rows, err := q.QueryContext(ctx, `SELECT service_name, executed_at FROM remediation_actions
		WHERE server_id = $1 AND action_type = 'restart_service' AND executed_at IS NOT NULL AND executed_at > $2`, serverID, since)
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

// applyTransition writes one transition. Every write is conditional on the
// alert's current state, so a race with a manual resolve or another hub
// changes nothing twice and notifies only the writer that won.
func applyTransition(ctx context.Context, tx *Tx, o *outboxWriter, serverName string, tr alerting.Transition) error {
	a := tr.Alert
	changed := true
	switch tr.Kind {
	case alerting.Opened:
		err := tx.QueryRowContext(ctx, `INSERT INTO alerts (server_id, alert_type, severity, status, title, message, service_name,
			dedup_key, threshold_value, actual_value, created_at, updated_at, auto_resolved)
			VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $10, $10, FALSE)
			ON CONFLICT (server_id, dedup_key) WHERE status <> 'resolved' DO NOTHING RETURNING id`,
			a.ServerID, a.AlertType, a.Severity, a.Title, a.Message, a.ServiceName, a.DedupKey(), a.ThresholdValue, a.ActualValue, tx.now).Scan(&a.ID)
		if errors.Is(err, sql.ErrNoRows) {
			changed = false
		} else if err != nil {
			return err
		}
	case alerting.Escalated:
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET severity = $1, threshold_value = $2, actual_value = $3, message = $4, updated_at = $5
			WHERE id = $6 AND status <> 'resolved'`, a.Severity, a.ThresholdValue, a.ActualValue, a.Message, tx.now, a.ID)
		if changed, err = affected(res, err); err != nil {
			return err
		}
	case alerting.Resolved:
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'resolved', resolved_at = $1, updated_at = $1, auto_resolved = TRUE,
			actual_value = $2 WHERE id = $3 AND status <> 'resolved'`, tx.now, a.ActualValue, a.ID)
		if changed, err = affected(res, err); err != nil {
			return err
		}
	case alerting.Reminder:
		if err := setLastNotified(ctx, tx, a.ServerID, a.DedupKey()); err != nil {
			return err
		}
	}
	if !changed || !tr.Notify {
		return nil
	}
	m := message(tr, a, serverName, tx.now)
	return o.enqueue(ctx, tx, m)
}

func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// message renders a transition for the notifiers.
func message(tr alerting.Transition, a homelabcmd.Alert, serverName string, now time.Time) *notify.Message {
	m := &notify.Message{Event: string(tr.Kind), AlertID: a.ID, AlertType: a.AlertType, Severity: a.Severity, Title: a.Title,
		ServerID: a.ServerID, ServerName: serverName, Status: a.Status, Value: a.ActualValue, Threshold: a.ThresholdValue, At: now}
	if a.Message != nil {
		m.Text = *a.Message
	}
	if a.ServiceName != nil {
		m.ServiceName = *a.ServiceName
	}
	if tr.Kind == alerting.Resolved {
		m.Text = "Resolved: " + a.Title
		if tr.Since != nil {
			d := int64(now.Sub(*tr.Since) / time.Second)
			m.Duration = &d
		}
	}
	return m
}

// PendingBreaches lists the metric breaches still inside their sustain
// window, for GET /alerts/pending.
func (db *DB) PendingBreaches(ctx context.Context) ([]homelabcmd.PendingBreach, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.server_id, COALESCE(s.display_name, s.hostname), r.rule_key, r.first_breach_at
		FROM alert_rule_state r JOIN servers s ON s.id = r.server_id
		WHERE r.rule_key IN ('cpu', 'memory', 'disk') AND r.first_breach_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.server_id = r.server_id AND a.dedup_key = r.rule_key AND a.status <> 'resolved')
		ORDER BY r.first_breach_at`)
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
