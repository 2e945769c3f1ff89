package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

const tokenColumns = `id, name, role, token_prefix, created_by, expires_at, last_used_at, created_at`

func scanToken(row interface{ Scan(...any) error }) (*homelabcmd.APIToken, error) {
	var t homelabcmd.APIToken
	var expires, used sql.NullTime
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Prefix, &t.CreatedBy, &expires, &used, &t.CreatedAt); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.LastUsedAt, t.CreatedAt = timePtr(expires), timePtr(used), t.CreatedAt.UTC()
	return &t, nil
}

// CreateAPIToken stores a new scoped token (t's Name, Role, CreatedBy and
// optional ExpiresAt, which must lie in the future) and returns it with the
// secret, which is never stored. EINVALID, ECONFLICT (the name is taken).
func (db *DB) CreateAPIToken(ctx context.Context, t homelabcmd.APIToken) (*homelabcmd.APIToken, string, error) {
	if err := homelabcmd.ValidateTokenName(t.Name); err != nil {
		return nil, "", err
	}
	if err := homelabcmd.ValidateRole("role", t.Role); err != nil {
		return nil, "", err
	}
	secret := homelabcmd.NewSecret(homelabcmd.PrefixAPIToken)
	var out *homelabcmd.APIToken
	err := db.inTx(ctx, func(tx *Tx) error {
		var expires sql.NullTime
		if t.ExpiresAt != nil {
			if !t.ExpiresAt.After(tx.now) {
				return homelabcmd.FieldError("expires_at", "expires_at must be in the future")
			}
			expires = sql.NullTime{Time: t.ExpiresAt.UTC().Truncate(time.Microsecond), Valid: true}
		}
		var err error
		out, err = scanToken(tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, token_hash, token_prefix, created_by, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+tokenColumns,
			t.Name, string(t.Role), homelabcmd.HashSecret(secret), secret[:len(homelabcmd.PrefixAPIToken)+8], t.CreatedBy, expires, tx.now))
		return translate(err, "A token named '"+t.Name+"' already exists", "")
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// ListAPITokens returns every token, expired ones included, by name.
func (db *DB) ListAPITokens(ctx context.Context) ([]*homelabcmd.APIToken, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteAPIToken revokes a token. ENOTFOUND.
func (db *DB) DeleteAPIToken(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = $1`, id)
		return mustAffect(res, err, "Token %d not found", id)
	})
}

// VerifyAPIToken returns the principal of a live (unexpired) token, found
// by the hash of secret and compared again in constant time, and records
// its use (at most once a minute, so reads seldom write). EUNAUTHORIZED.
func (db *DB) VerifyAPIToken(ctx context.Context, secret string) (*homelabcmd.Principal, error) {
	var id int64
	var name, role, hash string
	var used sql.NullTime
	now := db.now()
	err := db.read.QueryRowContext(ctx, `SELECT id, name, role, token_hash, last_used_at FROM api_tokens
		WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > $2)`, homelabcmd.HashSecret(secret), now).
		Scan(&id, &name, &role, &hash, &used)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !homelabcmd.SecretMatches(secret, hash)) {
		return nil, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or expired API token")
	} else if err != nil {
		return nil, err
	}
	if !used.Valid || used.Time.Before(now.Add(-time.Minute)) {
		if err := db.inTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, tx.now, id)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return &homelabcmd.Principal{Name: "token:" + name, Role: homelabcmd.Role(role), Kind: homelabcmd.PrincipalToken}, nil
}
