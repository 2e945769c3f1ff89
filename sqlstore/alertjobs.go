package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// AcknowledgeAlert acknowledges an open alert and returns it as stored
// (unchanged when it is not open). ENOTFOUND.
func (tx *Tx) AcknowledgeAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'acknowledged', acknowledged_at = $1, updated_at = $1, acknowledged_by = $3
		WHERE id = $2 AND status = 'open'`, tx.now, id, by); err != nil {
		return nil, err
	}
	return tx.findAlert(ctx, id)
}

// ResolveAlert resolves an unresolved alert by hand (auto_resolved false)
// and returns it as stored. ENOTFOUND.
func (tx *Tx) ResolveAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'resolved', resolved_at = $1, updated_at = $1, auto_resolved = FALSE, resolved_by = $3
		WHERE id = $2 AND status <> 'resolved'`, tx.now, id, by); err != nil {
		return nil, err
	}
	return tx.findAlert(ctx, id)
}

func (tx *Tx) findAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error) {
	a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "Alert %d not found", id)
	}
	return a, nil
}

// OldestOnlineSeen returns the earliest last_seen of the online, active
// servers: the next one to go offline does so a timeout after it. nil when
// no server is online.
func (db *DB) OldestOnlineSeen(ctx context.Context) (*time.Time, error) {
	var t sql.NullTime
	err := db.read.QueryRowContext(ctx, `SELECT last_seen FROM servers WHERE status = 'online' AND is_inactive = FALSE
		AND last_seen IS NOT NULL ORDER BY last_seen LIMIT 1`).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return timePtr(t), err
}

// StaleServers returns the online, active servers last seen before cut.
func (tx *Tx) StaleServers(ctx context.Context, cut time.Time) ([]homelabcmd.ServerSeen, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, hostname, display_name, machine_type, is_paused, status, last_seen FROM servers
		WHERE status = 'online' AND last_seen < $1 AND is_inactive = FALSE`, cut)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.ServerSeen
	for rows.Next() {
		var s homelabcmd.ServerSeen
		var display sql.NullString
		var last sql.NullTime
		if err := rows.Scan(&s.ID, &s.Name, &display, &s.MachineType, &s.Paused, &s.Status, &last); err != nil {
			return nil, err
		}
		if display.Valid && display.String != "" {
			s.Name = display.String
		}
		s.LastSeen = timePtr(last)
		out = append(out, s)
	}
	return out, rows.Err()
}

// MarkOffline marks a server offline if it is still online and last seen
// before cut; false when a heartbeat came in meanwhile.
func (tx *Tx) MarkOffline(ctx context.Context, id string, cut time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE servers SET status = 'offline', updated_at = $1 WHERE id = $2 AND status = 'online' AND last_seen < $3`,
		tx.now, id, cut)
	return affected(res, err)
}

// RecoveriesDue returns the unresolved alerts whose rule state records a
// recovery at or before cut (a partial index keeps this cheap when idle).
func (tx *Tx) RecoveriesDue(ctx context.Context, cut time.Time) ([]homelabcmd.RecoveryDue, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+prefixed("a.", alertColumns)+`, st.recovered_at, s.is_paused, s.hostname, s.display_name, s.machine_type
		FROM alert_rule_state st JOIN alerts a ON a.server_id = st.server_id AND a.dedup_key = st.rule_key AND a.status <> 'resolved'
		JOIN servers s ON s.id = st.server_id
		WHERE st.recovered_at IS NOT NULL AND st.recovered_at <= $1 ORDER BY a.id`, cut)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.RecoveryDue
	for rows.Next() {
		var r homelabcmd.RecoveryDue
		var display sql.NullString
		a, err := scanAlertWith(rows, &r.RecoveredAt, &r.Server.Paused, &r.Server.Name, &display, &r.Server.MachineType)
		if err != nil {
			return nil, err
		}
		r.Alert, r.RecoveredAt = *a, r.RecoveredAt.UTC()
		r.Server.ID = a.ServerID
		if display.Valid && display.String != "" {
			r.Server.Name = display.String
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClearRecovery forgets the recovery recorded at at under key; false when
// the state changed meanwhile.
func (tx *Tx) ClearRecovery(ctx context.Context, serverID, key string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE alert_rule_state SET recovered_at = NULL, updated_at = $1
		WHERE server_id = $2 AND rule_key = $3 AND recovered_at = $4`, tx.now, serverID, key, at)
	return affected(res, err)
}

// OpenAlertsToRemind returns every open (not acknowledged) alert with when
// it was last notified and its server, oldest first.
func (tx *Tx) OpenAlertsToRemind(ctx context.Context) ([]homelabcmd.AlertToRemind, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+prefixed("a.", alertColumns)+`, st.last_notified_at, s.is_paused, s.hostname, s.display_name, s.machine_type
		FROM alerts a JOIN servers s ON s.id = a.server_id
		LEFT JOIN alert_rule_state st ON st.server_id = a.server_id AND st.rule_key = a.dedup_key
		WHERE a.status = 'open' ORDER BY a.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.AlertToRemind
	for rows.Next() {
		var r homelabcmd.AlertToRemind
		var last sql.NullTime
		var display sql.NullString
		a, err := scanAlertWith(rows, &last, &r.Server.Paused, &r.Server.Name, &display, &r.Server.MachineType)
		if err != nil {
			return nil, err
		}
		r.Alert, r.LastNotified = *a, timePtr(last)
		r.Server.ID = a.ServerID
		if display.Valid && display.String != "" {
			r.Server.Name = display.String
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func prefixed(p, cols string) string {
	out := ""
	for i, c := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += p + c
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
