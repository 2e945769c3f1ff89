package sqlstore

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
)

// storePackages replaces the server's pending packages with list when it
// differs from what is stored; a package reported again unchanged keeps
// its detected_at (when it was first seen pending), so an unchanged list
// costs one read and no writes.
func storePackages(ctx context.Context, tx *Tx, serverID string, list []homelabcmd.Package) error {
	stored, err := pendingPackages(ctx, tx, serverID)
	if err != nil {
		return err
	}
	old := make(map[string]homelabcmd.PendingPackage, len(stored))
	for _, p := range stored {
		old[p.Name] = p
	}
	// The same name twice: the last report wins.
	uniq := make(map[string]homelabcmd.Package, len(list))
	for _, p := range list {
		uniq[p.Name] = p
	}
	same := len(uniq) == len(old)
	for name, p := range uniq {
		if o, ok := old[name]; !ok || o.Package != p {
			same = false
			break
		}
	}
	if same {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending_packages WHERE server_id = $1`, serverID); err != nil {
		return err
	}
	for name, p := range uniq {
		detected, updated := tx.now, tx.now
		if o, ok := old[name]; ok {
			detected = o.DetectedAt
			if o.Package == p {
				updated = o.UpdatedAt
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pending_packages (server_id, name, current_version, new_version, repository, is_security, detected_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, serverID, name, p.CurrentVersion, p.NewVersion, p.Repository, p.IsSecurity, detected, updated); err != nil {
			return err
		}
	}
	return nil
}

func pendingPackages(ctx context.Context, q querier, serverID string) ([]homelabcmd.PendingPackage, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, current_version, new_version, repository, is_security, detected_at, updated_at
		FROM pending_packages WHERE server_id = $1 ORDER BY name`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.PendingPackage{}
	for rows.Next() {
		var p homelabcmd.PendingPackage
		if err := rows.Scan(&p.Name, &p.CurrentVersion, &p.NewVersion, &p.Repository, &p.IsSecurity, &p.DetectedAt, &p.UpdatedAt); err != nil {
			return nil, err
		}
		p.DetectedAt, p.UpdatedAt = p.DetectedAt.UTC(), p.UpdatedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// PendingPackages returns a server's upgradable packages by name.
// ENOTFOUND for an unknown server.
func (db *DB) PendingPackages(ctx context.Context, serverID string) ([]homelabcmd.PendingPackage, error) {
	if _, err := db.FindServer(ctx, serverID); err != nil {
		return nil, err
	}
	return pendingPackages(ctx, db.read, serverID)
}
