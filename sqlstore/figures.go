package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// unitFigure is what a report says of a unit that changes with nearly every
// heartbeat. These figures live in unit_figures, one row per server and unit
// kind rewritten by each heartbeat, so that service_current_status rows are
// written only when a unit's state changes (see storeServiceReports).
type unitFigure struct {
	PID        *int     `json:"p,omitempty"`
	MemoryMB   *float64 `json:"m,omitempty"`
	CPUPercent *float64 `json:"c,omitempty"`
	Restarts   *int     `json:"r,omitempty"`
}

func figureOf(r *homelabcmd.ServiceReport) unitFigure {
	return unitFigure{PID: r.PID, MemoryMB: r.MemoryMB, CPUPercent: r.CPUPercent, Restarts: r.Restarts}
}

// unitFigures is one unit_figures row: the latest report of a server's units
// of one kind, by unit name.
type unitFigures struct {
	reportedAt time.Time
	units      map[string]unitFigure
}

// apply overlays the latest report's figures on a unit's current status read
// from service_current_status; a unit the latest report did not name keeps
// its row's figures (written when it was last reported).
func (f *unitFigures) apply(name string, cur *homelabcmd.CurrentStatus) {
	if f == nil {
		return
	}
	u, ok := f.units[name]
	if !ok {
		return
	}
	cur.PID, cur.MemoryMB, cur.CPUPercent, cur.Restarts = u.PID, u.MemoryMB, u.CPUPercent, u.Restarts
	cur.LastSeen = f.reportedAt.UTC()
}

// lastSeen is the time of the latest report naming the unit, if it is in f.
func (f *unitFigures) lastSeen(name string) (time.Time, bool) {
	if f == nil {
		return time.Time{}, false
	}
	if _, ok := f.units[name]; !ok {
		return time.Time{}, false
	}
	return f.reportedAt.UTC(), true
}

type figuresKey struct {
	serverID string
	kind     homelabcmd.UnitKind
}

// loadFigures reads the unit_figures rows a WHERE clause selects (empty:
// every row).
func loadFigures(ctx context.Context, q querier, where string, args ...any) (map[figuresKey]*unitFigures, error) {
	rows, err := q.QueryContext(ctx, `SELECT server_id, kind, reported_at, units FROM unit_figures`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[figuresKey]*unitFigures{}
	for rows.Next() {
		var k figuresKey
		var units string
		f := &unitFigures{}
		if err := rows.Scan(&k.serverID, &k.kind, &f.reportedAt, &units); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(units), &f.units); err != nil {
			return nil, err
		}
		out[k] = f
	}
	return out, rows.Err()
}

// figuresOf reads the figures of one server's units of one kind (nil when
// none was reported).
func figuresOf(ctx context.Context, q querier, serverID string, kind homelabcmd.UnitKind) (*unitFigures, error) {
	var f unitFigures
	var units string
	err := q.QueryRowContext(ctx, `SELECT reported_at, units FROM unit_figures WHERE server_id = $1 AND kind = $2`, serverID, kind).Scan(&f.reportedAt, &units)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(units), &f.units); err != nil {
		return nil, err
	}
	return &f, nil
}

// saveFigures replaces the figures of a server's units of one kind, unless a
// newer report is already stored (a late or replayed heartbeat never moves
// them backwards).
func saveFigures(ctx context.Context, tx *Tx, serverID string, kind homelabcmd.UnitKind, ts time.Time, units map[string]unitFigure) error {
	b, err := json.Marshal(units)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO unit_figures (server_id, kind, reported_at, units) VALUES ($1, $2, $3, $4)
		ON CONFLICT (server_id, kind) DO UPDATE SET reported_at = excluded.reported_at, units = excluded.units
		WHERE unit_figures.reported_at <= excluded.reported_at`, serverID, kind, ts, string(b))
	return err
}

// nullString is s as stored (NULL for nil), to compare with what was read.
func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}
