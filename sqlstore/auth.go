package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// configKeyAPIKeyHash holds the SHA-256 of a generated operator API key.
const configKeyAPIKeyHash = "api_key_sha256"

// GetConfig returns a stored setting and whether it exists.
func (db *DB) GetConfig(ctx context.Context, key string) (string, bool, error) {
	return getConfig(ctx, db.read, key)
}

func getConfig(ctx context.Context, q querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM config WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetConfig stores a setting, replacing any previous value.
func (db *DB) SetConfig(ctx context.Context, key, value string) error {
	return db.inTx(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, key, value) })
}

// InitAPIKey makes sure an operator API key exists. On the first start it
// generates one, stores only its hash and returns the key (to print once);
// later it returns "" and the stored hash. Several hubs starting together on
// one PostgreSQL agree on one key: only the first insert wins.
func (db *DB) InitAPIKey(ctx context.Context) (generated, hash string, err error) {
	key := homelabcmd.NewSecret(homelabcmd.PrefixAPIKey)
	err = db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
			configKeyAPIKeyHash, homelabcmd.HashSecret(key), tx.now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			generated = key
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM config WHERE key = $1`, configKeyAPIKeyHash).Scan(&hash)
	})
	return generated, hash, err
}

// ResetAPIKey replaces the stored operator key with a new one, ends every
// dashboard session (they were opened with the old key) and returns the new
// key, which is stored only as its hash.
func (db *DB) ResetAPIKey(ctx context.Context) (string, error) {
	key := homelabcmd.NewSecret(homelabcmd.PrefixAPIKey)
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := tx.PutSetting(ctx, configKeyAPIKeyHash, homelabcmd.HashSecret(key)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM web_sessions`)
		return err
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// APIKeyHash returns the stored hash of the operator key, "" when none is
// stored yet.
func (db *DB) APIKeyHash(ctx context.Context) (string, error) {
	v, _, err := getConfig(ctx, db.read, configKeyAPIKeyHash)
	return v, err
}

// IssueAgentToken creates a new token for the server's agent identity and
// revokes any earlier one. The server gets the GUID if it has none. It
// returns the token, which is never stored. ENOTFOUND, ECONFLICT (the server
// already has another GUID).
func (db *DB) IssueAgentToken(ctx context.Context, serverID, guid string) (string, error) {
	var token string
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		token, err = issueAgentToken(ctx, tx, serverID, guid)
		return err
	})
	return token, err
}

func issueAgentToken(ctx context.Context, tx *Tx, serverID, guid string) (string, error) {
	var current sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT guid FROM servers WHERE id = $1`, serverID).Scan(&current)
	if err != nil {
		return "", notFound(err, "Server '%s' not found", serverID)
	}
	if current.Valid && current.String != guid {
		return "", homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' already has a different GUID", serverID)
	}
	if !current.Valid {
		if _, err := tx.ExecContext(ctx, `UPDATE servers SET guid = $1, updated_at = $2 WHERE id = $3`, guid, tx.now, serverID); err != nil {
			return "", translate(err, "GUID "+guid+" is already registered to another server", "")
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE agent_credentials SET revoked_at = $1, updated_at = $1 WHERE server_guid = $2 AND revoked_at IS NULL`, tx.now, guid); err != nil {
		return "", err
	}
	token := homelabcmd.PrefixAgentToken + guid[:8] + "_" + homelabcmd.NewSecret("")
	_, err = tx.ExecContext(ctx, `INSERT INTO agent_credentials (server_id, server_guid, api_token_hash, api_token_prefix, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, serverID, guid, homelabcmd.HashSecret(token), token[:20], tx.now)
	return token, err
}

// VerifyAgentToken checks a token against the active credential of guid in
// constant time and returns the server it is bound to. EUNAUTHORIZED.
func (db *DB) VerifyAgentToken(ctx context.Context, guid, token string) (string, error) {
	var serverID, hash string
	err := db.read.QueryRowContext(ctx, `SELECT server_id, api_token_hash FROM agent_credentials
		WHERE server_guid = $1 AND revoked_at IS NULL`, guid).Scan(&serverID, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		// Hash anyway so a missing GUID costs the same time as a wrong token.
		homelabcmd.SecretMatches(token, "")
		return "", homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid agent token or server GUID")
	} else if err != nil {
		return "", err
	}
	if !homelabcmd.SecretMatches(token, hash) {
		return "", homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid agent token or server GUID")
	}
	return serverID, nil
}

// TouchAgentToken records that the active credential of guid was used now.
// last_used_at is informational: it moves at most once a minute, so the
// heartbeat's transaction seldom writes the row.
func (tx *Tx) TouchAgentToken(ctx context.Context, guid string) error {
	_, err := tx.ExecContext(ctx, `UPDATE agent_credentials SET last_used_at = $1
		WHERE server_guid = $2 AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < $3)`, tx.now, guid, tx.now.Add(-time.Minute))
	return err
}

// FindAgentCredential returns the newest credential of an agent identity,
// active or revoked. ENOTFOUND.
func (db *DB) FindAgentCredential(ctx context.Context, guid string) (*homelabcmd.AgentCredential, error) {
	var c homelabcmd.AgentCredential
	var lastUsed, revoked sql.NullTime
	err := db.read.QueryRowContext(ctx, `SELECT id, server_id, server_guid, api_token_prefix, last_used_at, revoked_at, created_at
		FROM agent_credentials WHERE server_guid = $1 ORDER BY id DESC LIMIT 1`, guid).
		Scan(&c.ID, &c.ServerID, &c.ServerGUID, &c.Prefix, &lastUsed, &revoked, &c.CreatedAt)
	if err != nil {
		return nil, notFound(err, "No credential for agent %s", guid)
	}
	c.LastUsedAt, c.RevokedAt, c.CreatedAt = timePtr(lastUsed), timePtr(revoked), c.CreatedAt.UTC()
	return &c, nil
}

// RotateAgentToken replaces the active token of guid. ENOTFOUND when it has none.
func (db *DB) RotateAgentToken(ctx context.Context, guid string) (string, error) {
	var token string
	err := db.inTx(ctx, func(tx *Tx) error {
		var serverID string
		err := tx.QueryRowContext(ctx, `SELECT server_id FROM agent_credentials WHERE server_guid = $1 AND revoked_at IS NULL`, guid).Scan(&serverID)
		if err != nil {
			return notFound(err, "No active credential for agent %s", guid)
		}
		token, err = issueAgentToken(ctx, tx, serverID, guid)
		return err
	})
	return token, err
}

// RevokeAgentToken revokes the active token of guid. ENOTFOUND when it has none.
func (db *DB) RevokeAgentToken(ctx context.Context, guid string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE agent_credentials SET revoked_at = $1, updated_at = $1 WHERE server_guid = $2 AND revoked_at IS NULL`, tx.now, guid)
		return mustAffect(res, err, "No active credential for agent %s", guid)
	})
}

// configKeyHealthProbe is the row the health check rewrites.
const configKeyHealthProbe = "health_write_probe"

// ProbeWrite commits one small write (the time, in the config table), so
// the health check can tell a database that answers from one that stores.
func (db *DB) ProbeWrite(ctx context.Context) error {
	return db.inTx(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, configKeyHealthProbe, tx.now.Format(time.RFC3339Nano)) })
}
