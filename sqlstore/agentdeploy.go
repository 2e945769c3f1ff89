package sqlstore

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
)

// SetServerInactive marks a server's agent removed (inactive since now,
// offline; its heartbeats are refused from then on) or active again.
// ENOTFOUND.
func (db *DB) SetServerInactive(ctx context.Context, id string, inactive bool) (out *homelabcmd.Server, err error) {
	err = db.inTx(ctx, func(tx *Tx) error {
		q := `UPDATE servers SET is_inactive = FALSE, inactive_since = NULL, updated_at = $1 WHERE id = $2`
		if inactive {
			q = `UPDATE servers SET is_inactive = TRUE, inactive_since = $1, status = 'offline', updated_at = $1 WHERE id = $2`
		}
		res, err := tx.ExecContext(ctx, q, tx.now, id)
		if err := mustAffect(res, err, "Server '%s' not found", id); err != nil {
			return err
		}
		out, err = findServer(ctx, tx, id)
		return err
	})
	return out, err
}
