package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

const registrationColumns = `id, token_prefix, mode, display_name, monitored_services, allow_existing, expires_at, claimed_at, created_at`

func scanRegistration(row scanner) (*homelabcmd.RegistrationToken, error) {
	var t homelabcmd.RegistrationToken
	var services sql.NullString
	var claimed sql.NullTime
	if err := row.Scan(&t.ID, &t.Prefix, &t.Mode, &t.DisplayName, &services, &t.AllowExisting, &t.ExpiresAt, &claimed, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.CreatedAt, t.ClaimedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC(), timePtr(claimed)
	t.MonitoredServices = []string{}
	if services.Valid {
		_ = json.Unmarshal([]byte(services.String), &t.MonitoredServices)
	}
	return &t, nil
}

// CreateRegistrationToken stores a one-time token (hashed) and returns it
// with the secret filled in. EINVALID.
func (db *DB) CreateRegistrationToken(ctx context.Context, t *homelabcmd.RegistrationToken, ttl time.Duration) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.Token = homelabcmd.NewSecret(homelabcmd.PrefixRegistrationToken)
	t.Prefix = t.Token[:16]
	services, _ := json.Marshal(t.MonitoredServices)
	return db.inTx(ctx, func(tx *Tx) error {
		t.CreatedAt, t.ExpiresAt = tx.now, tx.now.Add(ttl)
		return tx.QueryRowContext(ctx, `INSERT INTO registration_tokens (token_hash, token_prefix, mode, display_name, monitored_services,
			allow_existing, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			homelabcmd.HashSecret(t.Token), t.Prefix, t.Mode, t.DisplayName, string(services), t.AllowExisting, t.ExpiresAt, tx.now).Scan(&t.ID)
	})
}

// PendingRegistrationTokens lists tokens that are neither claimed nor expired.
func (db *DB) PendingRegistrationTokens(ctx context.Context) ([]*homelabcmd.RegistrationToken, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+registrationColumns+` FROM registration_tokens
		WHERE claimed_at IS NULL AND expires_at > $1 ORDER BY created_at DESC`, db.now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.RegistrationToken{}
	for rows.Next() {
		t, err := scanRegistration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteRegistrationToken removes an unclaimed token. ENOTFOUND, ECONFLICT
// when it was already claimed.
func (db *DB) DeleteRegistrationToken(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		var claimed sql.NullTime
		if err := tx.QueryRowContext(ctx, `SELECT claimed_at FROM registration_tokens WHERE id = $1`, id).Scan(&claimed); err != nil {
			return notFound(err, "Token not found")
		}
		if claimed.Valid {
			return homelabcmd.Errorf(homelabcmd.ECONFLICT, "Token has already been claimed")
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM registration_tokens WHERE id = $1`, id)
		return err
	})
}

// ClaimRegistrationToken spends a one-time token: it registers the server
// (or gives an existing one a GUID) and issues the agent's own token, all in
// one transaction, so a token can never be claimed twice. EUNAUTHORIZED for
// an unknown token; EBADREQUEST for a claimed or expired one, a server that
// already has an active agent, or an existing server when the token was not
// made with AllowExisting.
func (db *DB) ClaimRegistrationToken(ctx context.Context, token, serverID, hostname string) (*homelabcmd.Claim, error) {
	if err := homelabcmd.ValidateServerID(serverID); err != nil {
		return nil, err
	}
	if hostname == "" || len(hostname) > 255 {
		return nil, homelabcmd.FieldError("hostname", "hostname must be 1-255 characters")
	}
	claim := &homelabcmd.Claim{ServerID: serverID}
	err := db.inTx(ctx, func(tx *Tx) error {
		rt, err := scanRegistration(tx.QueryRowContext(ctx, `SELECT `+registrationColumns+` FROM registration_tokens WHERE token_hash = $1`,
			homelabcmd.HashSecret(token)))
		if errors.Is(err, sql.ErrNoRows) {
			return homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid token")
		} else if err != nil {
			return err
		}
		switch {
		case rt.ClaimedAt != nil:
			return homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Token has already been claimed")
		case !rt.ExpiresAt.After(tx.now):
			return homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Token has expired")
		}
		claim.Token = rt
		var guid sql.NullString
		err = tx.QueryRowContext(ctx, `SELECT guid FROM servers WHERE id = $1`, serverID).Scan(&guid)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO servers (id, hostname, display_name, status, machine_type, is_paused, is_inactive, created_at, updated_at)
				VALUES ($1, $2, $3, 'unknown', 'server', FALSE, FALSE, $4, $4)`, serverID, hostname, rt.DisplayName, tx.now); err != nil {
				return err
			}
		case err != nil:
			return err
		case !rt.AllowExisting:
			return homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Server '%s' already exists. Create a registration token with allow_existing to let an agent take it over, or pick another server id.", serverID)
		case guid.Valid:
			var active int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM agent_credentials WHERE server_guid = $1 AND revoked_at IS NULL`, guid.String).Scan(&active); err != nil {
				return err
			}
			if active > 0 {
				return homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Server already registered. Use token rotation to update credentials.")
			}
			claim.GUID = guid.String
		}
		if claim.GUID == "" {
			claim.GUID = homelabcmd.NewGUID()
		}
		if claim.AgentToken, err = issueAgentToken(ctx, tx, serverID, claim.GUID); err != nil {
			return err
		}
		for _, name := range rt.MonitoredServices {
			if _, err := tx.ExecContext(ctx, `INSERT INTO expected_services (server_id, service_name, is_critical, enabled, created_at)
				VALUES ($1, $2, FALSE, TRUE, $3) ON CONFLICT (server_id, kind, service_name) DO NOTHING`, serverID, name, tx.now); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE registration_tokens SET claimed_at = $1, claimed_by_server_id = $2, updated_at = $1 WHERE id = $3`,
			tx.now, serverID, rt.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return claim, nil
}
