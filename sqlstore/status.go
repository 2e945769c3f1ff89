package sqlstore

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
)

// AddServiceStatus appends one history sample. EINVALID for a bad status,
// ENOTFOUND when the server does not exist.
func (db *DB) AddServiceStatus(ctx context.Context, s *homelabcmd.ServiceStatus) error {
	if _, err := homelabcmd.ParseServiceStatusValue(string(s.Status)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO service_status (server_id, service_name, status, status_reason, pid, memory_mb, cpu_percent, timestamp)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			s.ServerID, s.ServiceName, s.Status, s.StatusReason, s.PID, s.MemoryMB, s.CPUPercent, utc(s.Timestamp)).Scan(&s.ID)
		return translate(err, "duplicate status sample", "Server '"+s.ServerID+"' not found")
	})
}

// ServiceHistory returns samples of one service, newest first, and the cursor
// for the next page (0 when there is none). ENOTFOUND for an unknown server.
func (db *DB) ServiceHistory(ctx context.Context, serverID, name string, f homelabcmd.HistoryFilter) ([]homelabcmd.ServiceStatus, int64, error) {
	return db.UnitHistory(ctx, serverID, homelabcmd.KindSystemd, name, f)
}

// UnitHistory is ServiceHistory for a unit of any kind.
func (db *DB) UnitHistory(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string, f homelabcmd.HistoryFilter) ([]homelabcmd.ServiceStatus, int64, error) {
	if err := serverExists(ctx, db.read, serverID); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT id, server_id, service_name, status, status_reason, pid, memory_mb, cpu_percent, timestamp
		FROM service_status WHERE server_id = $1 AND service_name = $2 AND kind = $3`
	args := []any{serverID, name, kind}
	if f.From != nil {
		args = append(args, utc(*f.From))
		q += ` AND timestamp >= $` + itoa(len(args))
	}
	if f.To != nil {
		args = append(args, utc(*f.To))
		q += ` AND timestamp <= $` + itoa(len(args))
	}
	if f.Before > 0 {
		// Order is (timestamp, id) descending; resume strictly after the cursor row.
		args = append(args, f.Before)
		n := itoa(len(args))
		q += ` AND (timestamp < (SELECT timestamp FROM service_status WHERE id = $` + n + `)
			OR (timestamp = (SELECT timestamp FROM service_status WHERE id = $` + n + `) AND id < $` + n + `))`
	}
	args = append(args, f.Limit+1)
	q += ` ORDER BY timestamp DESC, id DESC LIMIT $` + itoa(len(args))
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []homelabcmd.ServiceStatus{}
	for rows.Next() {
		var s homelabcmd.ServiceStatus
		if err := rows.Scan(&s.ID, &s.ServerID, &s.ServiceName, &s.Status, &s.StatusReason, &s.PID, &s.MemoryMB, &s.CPUPercent, &s.Timestamp); err != nil {
			return nil, 0, err
		}
		s.Timestamp = s.Timestamp.UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}
