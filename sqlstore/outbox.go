package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd/notify"
)

// outboxWriter enqueues notifications within one transaction, reading the
// channels once.
type outboxWriter struct {
	channels []notify.Channel
	loaded   bool
}

// enqueue writes one outbox row per enabled channel that wants m.
func (o *outboxWriter) enqueue(ctx context.Context, tx *Tx, m *notify.Message) error {
	if !o.loaded {
		var err error
		if o.channels, err = listChannels(ctx, tx, true); err != nil {
			return err
		}
		o.loaded = true
	}
	var alertID any
	if m.AlertID != 0 {
		alertID = m.AlertID
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	for i := range o.channels {
		if !o.channels[i].Wants(m) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notification_outbox (channel_id, alert_id, event, payload, status, attempts, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)`, o.channels[i].ID, alertID, m.Event, string(payload), tx.now); err != nil {
			return err
		}
	}
	return nil
}

// HasDueNotifications reports cheaply, on the read pool, whether any
// outbox row is waiting or its claim expired, so idle polling never takes
// SQLite's write lock.
func (db *DB) HasDueNotifications(ctx context.Context) (bool, error) {
	now := db.now()
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM notification_outbox
		WHERE (status = 'queued' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until < $1) LIMIT 1) due`, now).Scan(&n)
	return n > 0, err
}

// ClaimNotifications marks up to limit due rows as sending by owner until
// now+lease and returns them. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
// several hubs claim disjoint rows; SQLite has one writer. A row whose
// lease ran out (its hub died mid-send) is due again.
func (db *DB) ClaimNotifications(ctx context.Context, owner string, lease time.Duration, limit int) ([]notify.Delivery, error) {
	var out []notify.Delivery
	err := db.inTx(ctx, func(tx *Tx) error {
		lock := ""
		if db.loc.Engine == Postgres {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx, `UPDATE notification_outbox SET status = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM notification_outbox WHERE (status = 'queued' AND next_attempt_at <= $3) OR (status = 'sending' AND claimed_until < $3)
			ORDER BY id LIMIT $4`+lock+`) RETURNING id, channel_id, payload, attempts`, owner, tx.now.Add(lease), tx.now, limit)
		if err != nil {
			return err
		}
		ids := map[int64][]int{}
		for rows.Next() {
			var d notify.Delivery
			var payload string
			if err := rows.Scan(&d.ID, &d.Channel.ID, &payload, &d.Attempts); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(payload), &d.Message); err != nil {
				rows.Close()
				return err
			}
			d.Message.ID = strconv.FormatInt(d.ID, 10)
			ids[d.Channel.ID] = append(ids[d.Channel.ID], len(out))
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for cid, idx := range ids {
			c, err := findChannel(ctx, tx, cid)
			if err != nil {
				return err
			}
			for _, i := range idx {
				out[i].Channel = *c
			}
		}
		return nil
	})
	return out, err
}

// CompleteNotification marks a claimed row sent, if owner still holds it.
func (db *DB) CompleteNotification(ctx context.Context, id int64, owner string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notification_outbox SET status = 'sent', sent_at = $1, claimed_by = NULL, claimed_until = NULL, last_error = NULL
			WHERE id = $2 AND claimed_by = $3 AND status = 'sending'`, tx.now, id, owner)
		return err
	})
}

// FailNotification records a failed attempt: queued again at retryAt, or
// failed for good when retryAt is nil. errText must hold no secret.
func (db *DB) FailNotification(ctx context.Context, id int64, owner, errText string, retryAt *time.Time) error {
	return db.inTx(ctx, func(tx *Tx) error {
		status, next := "failed", tx.now
		if retryAt != nil {
			status, next = "queued", utc(*retryAt)
		}
		_, err := tx.ExecContext(ctx, `UPDATE notification_outbox SET status = $1, next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL, last_error = $3
			WHERE id = $4 AND claimed_by = $5 AND status = 'sending'`, status, next, truncate(errText, 1000), id, owner)
		return err
	})
}

// OutboxEntry is an outbox row as the API and tests see it.
type OutboxEntry struct {
	ID        int64      `json:"id"`
	ChannelID int64      `json:"channel_id"`
	AlertID   *int64     `json:"alert_id"`
	Event     string     `json:"event"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError *string    `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
}

// ListOutbox returns the newest outbox rows, optionally of one status.
func (db *DB) ListOutbox(ctx context.Context, status string, limit int) ([]OutboxEntry, error) {
	where, args := "", []any{limit}
	if status != "" {
		where, args = " WHERE status = $2", append(args, status)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, channel_id, alert_id, event, status, attempts, last_error, created_at, sent_at
		FROM notification_outbox`+where+` ORDER BY id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var sent sql.NullTime
		if err := rows.Scan(&e.ID, &e.ChannelID, &e.AlertID, &e.Event, &e.Status, &e.Attempts, &e.LastError, &e.CreatedAt, &sent); err != nil {
			return nil, err
		}
		e.CreatedAt, e.SentAt = e.CreatedAt.UTC(), timePtr(sent)
		out = append(out, e)
	}
	return out, rows.Err()
}
