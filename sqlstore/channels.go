package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

const channelColumns = `id, name, type, config, min_severity, send_resolved, enabled, created_at, updated_at`

func scanChannel(row scanner) (*notify.Channel, error) {
	var c notify.Channel
	var cfg string
	if err := row.Scan(&c.ID, &c.Name, &c.Type, &cfg, &c.MinSeverity, &c.SendResolved, &c.Enabled, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.Config = json.RawMessage(cfg)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

func listChannels(ctx context.Context, q querier, enabledOnly bool) ([]notify.Channel, error) {
	where := ""
	if enabledOnly {
		where = " WHERE enabled = TRUE"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+channelColumns+` FROM notification_channels`+where+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notify.Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

func findChannel(ctx context.Context, q querier, id int64) (*notify.Channel, error) {
	c, err := scanChannel(q.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM notification_channels WHERE id = $1`, id))
	return c, notFound(err, "Notification channel %d not found", id)
}

// ListChannels returns every notification channel with its secrets.
func (db *DB) ListChannels(ctx context.Context) ([]notify.Channel, error) {
	return listChannels(ctx, db.read, false)
}

// FindChannel returns one channel with its secrets, or ENOTFOUND.
func (db *DB) FindChannel(ctx context.Context, id int64) (*notify.Channel, error) {
	return findChannel(ctx, db.read, id)
}

// CreateChannel validates and stores a channel. EINVALID, ECONFLICT (name).
func (db *DB) CreateChannel(ctx context.Context, c *notify.Channel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	cfg, err := registry.Normalize(c.Type, c.Config)
	if err != nil {
		return err
	}
	c.Config = cfg
	return db.inTx(ctx, func(tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO notification_channels (name, type, config, min_severity, send_resolved, enabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, c.Name, c.Type, string(c.Config), c.MinSeverity, c.SendResolved, c.Enabled, tx.now).Scan(&c.ID)
		return translate(err, "A notification channel named '"+c.Name+"' already exists", "")
	})
}

// UpdateChannel applies a partial update. A config that repeats the masked
// secrets of a GET keeps the stored ones. ENOTFOUND, EINVALID, ECONFLICT.
func (db *DB) UpdateChannel(ctx context.Context, id int64, upd notify.ChannelUpdate) (*notify.Channel, error) {
	var out *notify.Channel
	err := db.inTx(ctx, func(tx *Tx) error {
		c, err := findChannel(ctx, tx, id)
		if err != nil {
			return err
		}
		if upd.Name != nil {
			c.Name = *upd.Name
		}
		if upd.MinSeverity != nil {
			c.MinSeverity = *upd.MinSeverity
		}
		if upd.SendResolved != nil {
			c.SendResolved = *upd.SendResolved
		}
		if upd.Enabled != nil {
			c.Enabled = *upd.Enabled
		}
		if err := c.Validate(); err != nil {
			return err
		}
		if len(upd.Config) > 0 && string(upd.Config) != "null" {
			if c.Config, err = registry.KeepSecrets(c.Type, upd.Config, c.Config); err != nil {
				return err
			}
		}
		c.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE notification_channels SET name = $1, config = $2, min_severity = $3, send_resolved = $4, enabled = $5, updated_at = $6
			WHERE id = $7`, c.Name, string(c.Config), c.MinSeverity, c.SendResolved, c.Enabled, tx.now, id)
		if err != nil {
			return translate(err, "A notification channel named '"+c.Name+"' already exists", "")
		}
		out = c
		return nil
	})
	return out, err
}

// DeleteChannel removes a channel and its queued notifications. ENOTFOUND.
func (db *DB) DeleteChannel(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notification_channels WHERE id = $1`, id)
		return mustAffect(res, err, "Notification channel %d not found", id)
	})
}
