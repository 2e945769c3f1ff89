package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/homelabcmd/homelabcmd"
)

// PutConfigApply keeps the result (JSON) of applying pack with action
// actionID on a server; a second result for the action replaces the first.
func (db *DB) PutConfigApply(ctx context.Context, actionID int64, serverID, pack string, result json.RawMessage) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO config_applies (action_id, server_id, pack, result, finished_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (action_id) DO UPDATE SET result = excluded.result, finished_at = excluded.finished_at`,
			actionID, serverID, pack, string(result), tx.now)
		return translate(err, "", "Action "+itoa(int(actionID))+" not found")
	})
}

// ConfigApply returns the kept result of an apply action. ENOTFOUND when
// it has none (yet).
func (db *DB) ConfigApply(ctx context.Context, actionID int64) (json.RawMessage, error) {
	var result string
	err := db.read.QueryRowContext(ctx, `SELECT result FROM config_applies WHERE action_id = $1`, actionID).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Apply %d has no result yet", actionID)
	}
	return json.RawMessage(result), err
}
