package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/homelabcmd/homelabcmd"
)

const channelColumns = `id, name, type, config, min_severity, send_resolved, enabled, created_at, updated_at, server_ids, alert_types, severities`

func scanChannel(row scanner) (*homelabcmd.Channel, error) {
	var c homelabcmd.Channel
	var cfg string
	var servers, kinds, sevs sql.NullString
	if err := row.Scan(&c.ID, &c.Name, &c.Type, &cfg, &c.MinSeverity, &c.SendResolved, &c.Enabled, &c.CreatedAt, &c.UpdatedAt, &servers, &kinds, &sevs); err != nil {
		return nil, err
	}
	c.ServerIDs, c.AlertTypes, c.Severities = []string{}, []string{}, []string{}
	if servers.Valid {
		_ = json.Unmarshal([]byte(servers.String), &c.ServerIDs) // written by us
	}
	if kinds.Valid {
		_ = json.Unmarshal([]byte(kinds.String), &c.AlertTypes)
	}
	if sevs.Valid {
		_ = json.Unmarshal([]byte(sevs.String), &c.Severities)
	}
	c.Config = json.RawMessage(cfg)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

func listChannels(ctx context.Context, q querier, enabledOnly bool) ([]homelabcmd.Channel, error) {
	where := ""
	if enabledOnly {
		where = " WHERE enabled = TRUE"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+channelColumns+` FROM notification_channels`+where+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

func findChannel(ctx context.Context, q querier, id int64) (*homelabcmd.Channel, error) {
	c, err := scanChannel(q.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM notification_channels WHERE id = $1`, id))
	return c, notFound(err, "Notification channel %d not found", id)
}

// ListChannels returns every notification channel with its secrets.
func (db *DB) ListChannels(ctx context.Context) ([]homelabcmd.Channel, error) {
	return listChannels(ctx, db.read, false)
}

// FindChannel returns one channel with its secrets, or ENOTFOUND.
func (db *DB) FindChannel(ctx context.Context, id int64) (*homelabcmd.Channel, error) {
	return findChannel(ctx, db.read, id)
}

// Channels returns the channels with their secrets, only the enabled ones
// if enabledOnly.
func (tx *Tx) Channels(ctx context.Context, enabledOnly bool) ([]homelabcmd.Channel, error) {
	return listChannels(ctx, tx, enabledOnly)
}

// FindChannel returns one channel with its secrets, or ENOTFOUND.
func (tx *Tx) FindChannel(ctx context.Context, id int64) (*homelabcmd.Channel, error) {
	return findChannel(ctx, tx, id)
}

// InsertChannel stores a new channel. ECONFLICT (name).
func (tx *Tx) InsertChannel(ctx context.Context, c *homelabcmd.Channel) error {
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	err := tx.QueryRowContext(ctx, `INSERT INTO notification_channels (name, type, config, min_severity, send_resolved, enabled, created_at, updated_at,
		server_ids, alert_types, severities) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10) RETURNING id`, c.Name, c.Type, string(c.Config), c.MinSeverity,
		c.SendResolved, c.Enabled, tx.now, jsonList(c.ServerIDs), jsonList(c.AlertTypes), jsonList(c.Severities)).Scan(&c.ID)
	return translate(err, "A notification channel named '"+c.Name+"' already exists", "")
}

// UpdateChannel stores c's fields. ECONFLICT (name).
func (tx *Tx) UpdateChannel(ctx context.Context, c *homelabcmd.Channel) error {
	c.UpdatedAt = tx.now
	_, err := tx.ExecContext(ctx, `UPDATE notification_channels SET name = $1, config = $2, min_severity = $3, send_resolved = $4, enabled = $5, updated_at = $6,
		server_ids = $7, alert_types = $8, severities = $9 WHERE id = $10`, c.Name, string(c.Config), c.MinSeverity, c.SendResolved, c.Enabled, tx.now,
		jsonList(c.ServerIDs), jsonList(c.AlertTypes), jsonList(c.Severities), c.ID)
	return translate(err, "A notification channel named '"+c.Name+"' already exists", "")
}

// jsonList is a list as stored: NULL when empty (no limit).
func jsonList(l []string) any {
	if len(l) == 0 {
		return nil
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// DeleteChannel removes a channel and its queued notifications. ENOTFOUND.
func (db *DB) DeleteChannel(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notification_channels WHERE id = $1`, id)
		return mustAffect(res, err, "Notification channel %d not found", id)
	})
}
