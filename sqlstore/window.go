package sqlstore

import (
	"context"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

const windowColumns = `id, name, server_id, weekdays, start_time, end_time, time_zone, page_critical, created_at`

func listWindows(ctx context.Context, q querier) ([]homelabcmd.MaintenanceWindow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+windowColumns+` FROM maintenance_windows ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.MaintenanceWindow{}
	for rows.Next() {
		var w homelabcmd.MaintenanceWindow
		var days string
		if err := rows.Scan(&w.ID, &w.Name, &w.ServerID, &days, &w.Start, &w.End, &w.TimeZone, &w.PageCritical, &w.CreatedAt); err != nil {
			return nil, err
		}
		w.Weekdays, w.CreatedAt = []string{}, w.CreatedAt.UTC()
		if days != "" {
			w.Weekdays = strings.Split(days, ",")
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ListMaintenanceWindows returns every maintenance window.
func (db *DB) ListMaintenanceWindows(ctx context.Context) ([]homelabcmd.MaintenanceWindow, error) {
	return listWindows(ctx, db.read)
}

// MaintenanceWindows returns every maintenance window.
func (tx *Tx) MaintenanceWindows(ctx context.Context) ([]homelabcmd.MaintenanceWindow, error) {
	return listWindows(ctx, tx)
}

// CreateMaintenanceWindow validates and stores a window. EINVALID, and
// ENOTFOUND for an unknown server. The engine (hub) writes windows, so
// that the hubs drop the windows they keep in memory.
func (tx *Tx) CreateMaintenanceWindow(ctx context.Context, w *homelabcmd.MaintenanceWindow) error {
	if err := w.Validate(); err != nil {
		return err
	}
	if w.ServerID != nil {
		if err := serverExists(ctx, tx, *w.ServerID); err != nil {
			return err
		}
	}
	w.CreatedAt = tx.now
	return tx.QueryRowContext(ctx, `INSERT INTO maintenance_windows (name, server_id, weekdays, start_time, end_time, time_zone, page_critical, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, w.Name, w.ServerID, strings.Join(w.Weekdays, ","), w.Start, w.End,
		w.TimeZone, w.PageCritical, tx.now).Scan(&w.ID)
}

// DeleteMaintenanceWindow removes a window; alerts it held back are
// notified by the engine's next release. ENOTFOUND.
func (tx *Tx) DeleteMaintenanceWindow(ctx context.Context, id int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM maintenance_windows WHERE id = $1`, id)
	return mustAffect(res, err, "Maintenance window %d not found", id)
}
