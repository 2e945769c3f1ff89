package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/homelabcmd/homelabcmd"
)

// SaveUnitInventory stores what an agent reported about its units: units,
// when not nil, replace the server's inventory; monitored, the first time
// any are reported for the server, become enabled expected services (names
// already expected are left alone). It returns the names it added.
// ENOTFOUND.
func (db *DB) SaveUnitInventory(ctx context.Context, serverID string, units []homelabcmd.AvailableUnit, monitored []string) ([]string, error) {
	var added []string
	err := db.inTx(ctx, func(tx *Tx) error {
		added = nil
		if err := serverExists(ctx, tx, serverID); err != nil {
			return err
		}
		var adopted sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT adopted_at FROM unit_inventory WHERE server_id = $1`, serverID).Scan(&adopted)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO unit_inventory (server_id) VALUES ($1)`, serverID)
		}
		if err != nil {
			return err
		}
		if units != nil {
			b, err := json.Marshal(units)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE unit_inventory SET units = $2, reported_at = $3 WHERE server_id = $1`, serverID, string(b), tx.now); err != nil {
				return err
			}
		}
		if len(monitored) == 0 || adopted.Valid {
			return nil
		}
		for _, name := range monitored {
			svc := homelabcmd.NewExpectedService(serverID, name)
			if err := svc.Validate(); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO expected_services (server_id, service_name, display_name, is_critical, enabled, created_at)
				VALUES ($1, $2, NULL, $3, $4, $5) ON CONFLICT (server_id, kind, service_name) DO NOTHING`,
				serverID, svc.ServiceName, svc.IsCritical, svc.Enabled, tx.now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added = append(added, svc.ServiceName)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE unit_inventory SET adopted_at = $2 WHERE server_id = $1`, serverID, tx.now)
		return err
	})
	return added, err
}

// FindUnitInventory returns a server's latest unit inventory (no units and
// a nil ReportedAt before its agent sent one). ENOTFOUND for no server.
func (db *DB) FindUnitInventory(ctx context.Context, serverID string) (*homelabcmd.UnitInventory, error) {
	if err := serverExists(ctx, db.read, serverID); err != nil {
		return nil, err
	}
	inv := &homelabcmd.UnitInventory{ServerID: serverID, Units: []homelabcmd.AvailableUnit{}}
	var units string
	var reported, adopted sql.NullTime
	err := db.read.QueryRowContext(ctx, `SELECT units, reported_at, adopted_at FROM unit_inventory WHERE server_id = $1`, serverID).Scan(&units, &reported, &adopted)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(units), &inv.Units); err != nil {
		return nil, err
	}
	if reported.Valid {
		t := reported.Time.UTC()
		inv.ReportedAt = &t
	}
	if adopted.Valid {
		t := adopted.Time.UTC()
		inv.AdoptedAt = &t
	}
	return inv, nil
}

// UnitNames returns the names in the server's latest unit inventory.
func (tx *Tx) UnitNames(ctx context.Context, serverID string) ([]string, error) {
	var units string
	err := tx.QueryRowContext(ctx, `SELECT units FROM unit_inventory WHERE server_id = $1`, serverID).Scan(&units)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []homelabcmd.AvailableUnit
	if err := json.Unmarshal([]byte(units), &list); err != nil {
		return nil, err
	}
	names := make([]string, len(list))
	for i, u := range list {
		names[i] = u.Name
	}
	return names, nil
}
