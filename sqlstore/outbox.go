package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Enqueue writes one outbox row, due now.
func (tx *Tx) Enqueue(ctx context.Context, n homelabcmd.OutboxMessage) error {
	var alertID any
	if n.AlertID != 0 {
		alertID = n.AlertID
	}
	due := tx.now
	if n.Due != nil {
		due = utc(*n.Due)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO notification_outbox (channel_id, alert_id, event, payload, status, attempts, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6)`, n.ChannelID, alertID, n.Event, string(n.Payload), due, tx.now)
	return err
}

// HeldOpenings returns the server's "opened" notifications queued for
// later and not tried yet.
func (tx *Tx) HeldOpenings(ctx context.Context, serverID string) ([]homelabcmd.HeldNotification, error) {
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.channel_id, o.next_attempt_at, o.payload FROM notification_outbox o
		JOIN alerts a ON a.id = o.alert_id WHERE a.server_id = $1 AND o.event = 'opened' AND o.status = 'queued' AND o.attempts = 0
		AND o.next_attempt_at > $2 ORDER BY o.id`, serverID, tx.now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.HeldNotification
	for rows.Next() {
		var h homelabcmd.HeldNotification
		var payload string
		if err := rows.Scan(&h.ID, &h.ChannelID, &h.Due, &payload); err != nil {
			return nil, err
		}
		h.Due, h.Payload = h.Due.UTC(), json.RawMessage(payload)
		out = append(out, h)
	}
	return out, rows.Err()
}

// UpdateHeldPayload replaces a held notification's payload unless it was
// claimed meanwhile.
func (tx *Tx) UpdateHeldPayload(ctx context.Context, id int64, payload json.RawMessage) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE notification_outbox SET payload = $1 WHERE id = $2 AND status = 'queued' AND attempts = 0`, string(payload), id)
	return affected(res, err)
}

// NextNotificationDue returns when the earliest outbox row is due (a
// queued row's next attempt, or the end of a sending row's claim), or nil
// when nothing waits. It reads the read pool, so a dispatcher sleeping
// until then never takes SQLite's write lock.
func (db *DB) NextNotificationDue(ctx context.Context) (*time.Time, error) {
	// Two indexed lookups rather than MIN over a UNION: SQLite hands an
	// aggregate back as text, a plain column as the time it holds.
	var next *time.Time
	for _, q := range []string{
		`SELECT next_attempt_at FROM notification_outbox WHERE status = 'queued' ORDER BY next_attempt_at LIMIT 1`,
		`SELECT claimed_until FROM notification_outbox WHERE status = 'sending' ORDER BY claimed_until LIMIT 1`,
	} {
		var at sql.NullTime
		if err := db.read.QueryRowContext(ctx, q).Scan(&at); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if t := timePtr(at); t != nil && (next == nil || t.Before(*next)) {
			next = t
		}
	}
	return next, nil
}

// ClaimNotifications marks up to limit due rows as sending by owner until
// now+lease and returns them. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
// several hubs claim disjoint rows; SQLite has one writer. A row whose
// lease ran out (its hub died mid-send) is due again.
func (db *DB) ClaimNotifications(ctx context.Context, owner string, lease time.Duration, limit int) ([]homelabcmd.ClaimedNotification, error) {
	var out []homelabcmd.ClaimedNotification
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
			var d homelabcmd.ClaimedNotification
			var payload string
			if err := rows.Scan(&d.ID, &d.Channel.ID, &payload, &d.Attempts); err != nil {
				rows.Close()
				return err
			}
			d.Payload = json.RawMessage(payload)
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
