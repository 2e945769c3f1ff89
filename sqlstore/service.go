package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/homelabcmd/homelabcmd"
)

const expectedServiceColumns = `e.id, e.server_id, e.kind, e.service_name, e.display_name, e.is_critical, e.enabled, e.created_at,
	c.status, c.status_reason, c.pid, c.memory_mb, c.cpu_percent, c.restarts, c.timestamp, c.detail,
	(SELECT s.status FROM servers s WHERE s.id = e.server_id)`

const expectedServiceFrom = ` FROM expected_services e
	LEFT JOIN service_current_status c ON c.server_id = e.server_id AND c.kind = e.kind AND c.service_name = e.service_name`

func scanExpectedService(row scanner) (*homelabcmd.ExpectedService, error) {
	var e homelabcmd.ExpectedService
	var status sql.NullString
	var cur homelabcmd.CurrentStatus
	var lastSeen sql.NullTime
	var serverStatus, detail sql.NullString
	err := row.Scan(&e.ID, &e.ServerID, &e.Kind, &e.ServiceName, &e.DisplayName, &e.IsCritical, &e.Enabled, &e.CreatedAt,
		&status, &cur.StatusReason, &cur.PID, &cur.MemoryMB, &cur.CPUPercent, &cur.Restarts, &lastSeen, &detail, &serverStatus)
	if err != nil {
		return nil, err
	}
	cur.Container = containerDetail(detail)
	e.CreatedAt = e.CreatedAt.UTC()
	if status.Valid {
		cur.Status = homelabcmd.ServiceStatusValue(status.String)
		cur.LastSeen = lastSeen.Time.UTC()
		cur.Stale = serverStatus.String == homelabcmd.ServerOffline
		e.CurrentStatus = &cur
	}
	return &e, nil
}

// CreateExpectedService adds a service the server must run. EINVALID for a
// bad name, ENOTFOUND for an unknown server, ECONFLICT when it exists.
func (db *DB) CreateExpectedService(ctx context.Context, s *homelabcmd.ExpectedService) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if err := serverExists(ctx, tx, s.ServerID); err != nil {
			return err
		}
		s.CreatedAt = tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO expected_services (server_id, kind, service_name, display_name, is_critical, enabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			s.ServerID, s.Kind, s.ServiceName, s.DisplayName, s.IsCritical, s.Enabled, tx.now).Scan(&s.ID)
		return translate(err, unitWord(s.Kind)+" '"+s.ServiceName+"' already exists for server '"+s.ServerID+"'",
			"Server '"+s.ServerID+"' not found")
	})
}

// ListExpectedServices returns a server's expected services (disabled ones
// too) with their current status, in creation order. ENOTFOUND.
func (db *DB) ListExpectedServices(ctx context.Context, serverID string) ([]*homelabcmd.ExpectedService, error) {
	if err := serverExists(ctx, db.read, serverID); err != nil {
		return nil, err
	}
	return listExpectedServices(ctx, db.read, serverID, homelabcmd.KindSystemd)
}

// ListExpectedUnits is ListExpectedServices for the units of one kind.
func (db *DB) ListExpectedUnits(ctx context.Context, serverID string, kind homelabcmd.UnitKind) ([]*homelabcmd.ExpectedService, error) {
	if err := serverExists(ctx, db.read, serverID); err != nil {
		return nil, err
	}
	return listExpectedServices(ctx, db.read, serverID, kind)
}

func listExpectedServices(ctx context.Context, q querier, serverID string, kind homelabcmd.UnitKind) ([]*homelabcmd.ExpectedService, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+expectedServiceColumns+expectedServiceFrom+` WHERE e.server_id = $1 AND e.kind = $2 ORDER BY e.id`, serverID, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.ExpectedService{}
	for rows.Next() {
		e, err := scanExpectedService(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	figs, err := figuresOf(ctx, q, serverID, kind)
	if err != nil {
		return nil, err
	}
	for _, e := range out {
		if e.CurrentStatus != nil {
			figs.apply(e.ServiceName, e.CurrentStatus)
		}
	}
	return out, nil
}

// FindExpectedService returns one expected service with its current status.
// ENOTFOUND for an unknown server or service.
func (db *DB) FindExpectedService(ctx context.Context, serverID, name string) (*homelabcmd.ExpectedService, error) {
	return findExpectedService(ctx, db.read, serverID, homelabcmd.KindSystemd, name)
}

// FindExpectedUnit is FindExpectedService for a unit of any kind.
func (db *DB) FindExpectedUnit(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string) (*homelabcmd.ExpectedService, error) {
	return findExpectedService(ctx, db.read, serverID, kind, name)
}

func findExpectedService(ctx context.Context, q querier, serverID string, kind homelabcmd.UnitKind, name string) (*homelabcmd.ExpectedService, error) {
	if err := serverExists(ctx, q, serverID); err != nil {
		return nil, err
	}
	e, err := scanExpectedService(q.QueryRowContext(ctx, `SELECT `+expectedServiceColumns+expectedServiceFrom+
		` WHERE e.server_id = $1 AND e.kind = $2 AND e.service_name = $3`, serverID, kind, name))
	if err != nil {
		return nil, notFound(err, unitWord(kind)+" '%s' not found for server '%s'", name, serverID)
	}
	if e.CurrentStatus != nil {
		figs, err := figuresOf(ctx, q, serverID, kind)
		if err != nil {
			return nil, err
		}
		figs.apply(name, e.CurrentStatus)
	}
	return e, nil
}

// unitWord names a kind in messages, as the original named services.
func unitWord(kind homelabcmd.UnitKind) string {
	if kind == homelabcmd.KindContainer {
		return "Container"
	}
	return "Service"
}

func containerDetail(s sql.NullString) *homelabcmd.ContainerDetail {
	if !s.Valid || s.String == "" {
		return nil
	}
	var d homelabcmd.ContainerDetail
	if json.Unmarshal([]byte(s.String), &d) != nil {
		return nil
	}
	return &d
}

// UpdateExpectedService changes only the fields given. ENOTFOUND, EINVALID.
func (db *DB) UpdateExpectedService(ctx context.Context, serverID, name string, upd homelabcmd.ExpectedServiceUpdate) (out *homelabcmd.ExpectedService, err error) {
	err = db.inTx(ctx, func(tx *Tx) (err error) {
		out, err = tx.UpdateExpectedService(ctx, serverID, name, upd)
		return err
	})
	return out, err
}

// UpdateExpectedService is UpdateExpectedService in a transaction.
func (tx *Tx) UpdateExpectedService(ctx context.Context, serverID, name string, upd homelabcmd.ExpectedServiceUpdate) (*homelabcmd.ExpectedService, error) {
	return tx.UpdateExpectedUnit(ctx, serverID, homelabcmd.KindSystemd, name, upd)
}

// UpdateExpectedUnit is UpdateExpectedService for a unit of any kind.
func (tx *Tx) UpdateExpectedUnit(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string, upd homelabcmd.ExpectedServiceUpdate) (*homelabcmd.ExpectedService, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	cur, err := findExpectedService(ctx, tx, serverID, kind, name)
	if err != nil {
		return nil, err
	}
	if upd.DisplayName != nil {
		cur.DisplayName = upd.DisplayName
		if *upd.DisplayName == "" {
			cur.DisplayName = nil // an empty display name clears it
		}
	}
	if upd.IsCritical != nil {
		cur.IsCritical = *upd.IsCritical
	}
	if upd.Enabled != nil {
		cur.Enabled = *upd.Enabled
	}
	if _, err := tx.ExecContext(ctx, `UPDATE expected_services SET display_name = $1, is_critical = $2, enabled = $3 WHERE id = $4`,
		cur.DisplayName, cur.IsCritical, cur.Enabled, cur.ID); err != nil {
		return nil, err
	}
	return cur, nil
}

// DeleteExpectedService stops expecting a service; its history is kept.
// ENOTFOUND.
func (db *DB) DeleteExpectedService(ctx context.Context, serverID, name string) error {
	return db.inTx(ctx, func(tx *Tx) error { return tx.DeleteExpectedService(ctx, serverID, name) })
}

// DeleteExpectedService is DeleteExpectedService in a transaction; it
// forgets the rules' memory of the service too.
func (tx *Tx) DeleteExpectedService(ctx context.Context, serverID, name string) error {
	return tx.DeleteExpectedUnit(ctx, serverID, homelabcmd.KindSystemd, name)
}

// DeleteExpectedUnit is DeleteExpectedService for a unit of any kind.
func (tx *Tx) DeleteExpectedUnit(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string) error {
	if err := serverExists(ctx, tx, serverID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM expected_services WHERE server_id = $1 AND kind = $2 AND service_name = $3`, serverID, kind, name)
	if err := mustAffect(res, err, unitWord(kind)+" '%s' not found for server '%s'", name, serverID); err != nil {
		return err
	}
	keys := []any{serverID, kind.DownAlert() + ":" + name, kind.LoopAlert() + ":" + name}
	if kind == homelabcmd.KindSystemd {
		keys[2] = homelabcmd.AlertUnit + ":" + name
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM alert_rule_state WHERE server_id = $1 AND rule_key IN ($2, $3)`, keys...)
	return err
}

func serverExists(ctx context.Context, q querier, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM servers WHERE id = $1`, id).Scan(&one)
	return notFound(err, "Server '%s' not found", id)
}
