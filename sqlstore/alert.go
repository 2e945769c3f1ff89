package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

const alertColumns = `id, server_id, alert_type, severity, status, title, message, service_name,
	threshold_value, actual_value, created_at, updated_at, acknowledged_at, resolved_at, auto_resolved, notified_at, resolution_reason, acknowledged_by, resolved_by`

func scanAlert(row scanner) (*homelabcmd.Alert, error) {
	return scanAlertWith(row)
}

// scanAlertWith scans alertColumns followed by the extra destinations.
func scanAlertWith(row scanner, extra ...any) (*homelabcmd.Alert, error) {
	var a homelabcmd.Alert
	var ack, res, notified sql.NullTime
	if err := row.Scan(append([]any{&a.ID, &a.ServerID, &a.AlertType, &a.Severity, &a.Status, &a.Title, &a.Message, &a.ServiceName,
		&a.ThresholdValue, &a.ActualValue, &a.CreatedAt, &a.UpdatedAt, &ack, &res, &a.AutoResolved, &notified, &a.ResolutionReason,
		&a.AcknowledgedBy, &a.ResolvedBy}, extra...)...); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.AcknowledgedAt, a.ResolvedAt, a.NotifiedAt = timePtr(ack), timePtr(res), timePtr(notified)
	return &a, nil
}

// CreateAlert opens an alert. ECONFLICT when an unresolved alert with the same
// key exists for the server; ENOTFOUND for an unknown server.
func (db *DB) CreateAlert(ctx context.Context, a *homelabcmd.Alert) error {
	if a.Status == "" {
		a.Status = homelabcmd.AlertOpen
	}
	if err := a.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error { return insertAlert(ctx, tx, a) })
}

func insertAlert(ctx context.Context, tx *Tx, a *homelabcmd.Alert) error {
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	err := tx.QueryRowContext(ctx, `INSERT INTO alerts (server_id, alert_type, severity, status, title, message, service_name,
		dedup_key, threshold_value, actual_value, created_at, updated_at, auto_resolved)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, FALSE) RETURNING id`,
		a.ServerID, a.AlertType, a.Severity, a.Status, a.Title, a.Message, a.ServiceName,
		a.DedupKey(), a.ThresholdValue, a.ActualValue, tx.now).Scan(&a.ID)
	return translate(err, "An unresolved "+a.DedupKey()+" alert already exists for server '"+a.ServerID+"'",
		"Server '"+a.ServerID+"' not found")
}

// FindAlert returns one alert, or ENOTFOUND.
func (db *DB) FindAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error) {
	a, err := scanAlert(db.read.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	return a, notFound(err, "Alert %d not found", id)
}

// ListAlerts returns matching alerts, newest first, and the total count
// before pagination.
func (db *DB) ListAlerts(ctx context.Context, f homelabcmd.AlertFilter) ([]*homelabcmd.Alert, int, error) {
	where, args := []string{"1=1"}, []any{}
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"severity", f.Severity}, {"server_id", f.ServerID}, {"alert_type", f.AlertType}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, c.col+" = $"+itoa(len(args)))
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := db.read.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE `+cond+
		` ORDER BY created_at DESC, id DESC LIMIT $`+itoa(len(args)-1)+` OFFSET $`+itoa(len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*homelabcmd.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}
