package sqlstore

import (
	"context"

	"github.com/homelabcmd/homelabcmd/pgnotify"
)

// notifyOthers sends the transaction's events to the other hubs on this
// database with pg_notify; PostgreSQL delivers them at commit, or never.
func (tx *Tx) notifyOthers(ctx context.Context) error {
	ch := pgnotify.Channel(tx.db.loc.DSN)
	for _, p := range pgnotify.Payloads(tx.db.Origin, tx.events) {
		if _, err := tx.Tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, ch, p); err != nil {
			return err
		}
	}
	return nil
}
