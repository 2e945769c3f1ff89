package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// CreateSession starts a dashboard session for a user (userID > 0) or for
// the operator key (userID 0) and returns its token; only its hash is kept.
// credential identifies the operator key a key session was made with (a
// hash of the key's hash): SessionPrincipal accepts such a session only with
// that same credential, so a new key ends every session of the old one. A
// user's sessions end with a new password, "sign out everywhere" or the user.
func (db *DB) CreateSession(ctx context.Context, ttl time.Duration, userID int64, credential string) (string, error) {
	token := homelabcmd.NewSecret(homelabcmd.PrefixSession)
	uid := sql.NullInt64{Int64: userID, Valid: userID > 0}
	err := db.inTx(ctx, func(tx *Tx) error {
		// Sweep expired sessions while here; there are few.
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < $1`, tx.now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO web_sessions (token_hash, created_at, expires_at, user_id, credential_hash) VALUES ($1, $2, $3, $4, $5)`,
			homelabcmd.HashSecret(token), tx.now, tx.now.Add(ttl), uid, credential)
		return translate(err, "", "No such user")
	})
	return token, err
}

// sessionSelect reads sessions with who they belong to; a session without
// a user was opened with the operator key and acts as an admin.
const sessionSelect = `SELECT s.token_hash, s.created_at, s.expires_at, s.user_id, COALESCE(u.username, ''), COALESCE(u.role, '')
	FROM web_sessions s LEFT JOIN users u ON u.id = s.user_id`

func scanSession(row interface{ Scan(...any) error }) (*homelabcmd.Session, int64, error) {
	var s homelabcmd.Session
	var uid sql.NullInt64
	var name, role string
	if err := row.Scan(&s.ID, &s.CreatedAt, &s.ExpiresAt, &uid, &name, &role); err != nil {
		return nil, 0, err
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	if uid.Valid {
		s.Name, s.Role, s.Kind = name, homelabcmd.Role(role), homelabcmd.PrincipalUser
	} else {
		s.Name, s.Role, s.Kind = homelabcmd.ActorAPIKey, homelabcmd.RoleAdmin, homelabcmd.PrincipalAPIKey
	}
	return &s, uid.Int64, nil
}

// SessionPrincipal returns who a live session belongs to, with the user's
// current role, or nil when token is no live session (or a key session made
// with another credential). Looking it up by its hash means the comparison
// never touches the secret itself.
func (db *DB) SessionPrincipal(ctx context.Context, token, credential string) (*homelabcmd.Principal, error) {
	s, uid, err := scanSession(db.read.QueryRowContext(ctx, sessionSelect+` WHERE s.token_hash = $1 AND s.expires_at > $2
		AND (s.user_id IS NOT NULL OR s.credential_hash = $3)`, homelabcmd.HashSecret(token), db.now(), credential))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &homelabcmd.Principal{Name: s.Name, Role: s.Role, Kind: s.Kind, UserID: uid}, nil
}

// ListSessions returns the live sessions, newest first.
func (db *DB) ListSessions(ctx context.Context) ([]*homelabcmd.Session, error) {
	rows, err := db.read.QueryContext(ctx, sessionSelect+` WHERE s.expires_at > $1 ORDER BY s.created_at DESC, s.token_hash`, db.now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.Session{}
	for rows.Next() {
		s, _, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSession ends the session whose cookie is token.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE token_hash = $1`, homelabcmd.HashSecret(token))
		return err
	})
}

// DeleteSessionByID ends a session by its id (the hash, as listed). ENOTFOUND.
func (db *DB) DeleteSessionByID(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE token_hash = $1`, id)
		return mustAffect(res, err, "Session not found")
	})
}

// DeleteUserSessions ends every session of a user ("sign out everywhere")
// and returns how many there were. ENOTFOUND when there is no such user.
func (db *DB) DeleteUserSessions(ctx context.Context, username string) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
			return notFound(err, "User '%s' not found", username)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = $1`, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
