package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/homelabcmd/homelabcmd"
)

const userColumns = `id, username, role, created_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*homelabcmd.User, error) {
	var u homelabcmd.User
	var last sql.NullTime
	if err := row.Scan(&u.ID, &u.Username, &u.Role, &u.CreatedAt, &last); err != nil {
		return nil, err
	}
	u.CreatedAt, u.LastLogin = u.CreatedAt.UTC(), timePtr(last)
	return &u, nil
}

// CreateUser adds an account; passwordHash comes from
// homelabcmd.HashPassword. EINVALID, ECONFLICT (the name is taken).
func (db *DB) CreateUser(ctx context.Context, username string, role homelabcmd.Role, passwordHash string) (*homelabcmd.User, error) {
	var u *homelabcmd.User
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		u, err = createUser(ctx, tx, username, role, passwordHash)
		return err
	})
	return u, err
}

func createUser(ctx context.Context, tx *Tx, username string, role homelabcmd.Role, passwordHash string) (*homelabcmd.User, error) {
	if err := homelabcmd.ValidateUsername(username); err != nil {
		return nil, err
	}
	if err := homelabcmd.ValidateRole("role", role); err != nil {
		return nil, err
	}
	row := tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING `+userColumns, username, passwordHash, string(role), tx.now)
	u, err := scanUser(row)
	return u, translate(err, "A user named '"+username+"' already exists", "")
}

// CreateFirstUser adds the first account, an admin, only while there is no
// user at all: the browser's first-run setup. Two setups racing (on one
// database or several hubs) serialise on the config row they both write,
// so exactly one wins. EINVALID, ECONFLICT (a user exists).
func (db *DB) CreateFirstUser(ctx context.Context, username, passwordHash string) (*homelabcmd.User, error) {
	var u *homelabcmd.User
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO config (key, value, updated_at) VALUES ('first_user_setup', $1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, username, tx.now); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return homelabcmd.Errorf(homelabcmd.ECONFLICT, "Setup is done: a user exists already; sign in instead")
		}
		var err error
		u, err = createUser(ctx, tx, username, homelabcmd.RoleAdmin, passwordHash)
		return err
	})
	return u, err
}

// UserCount returns how many accounts exist.
func (db *DB) UserCount(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// ListUsers returns every account by name.
func (db *DB) ListUsers(ctx context.Context) ([]*homelabcmd.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// FindUserByName returns one account. ENOTFOUND.
func (db *DB) FindUserByName(ctx context.Context, username string) (*homelabcmd.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	return u, notFound(err, "User '%s' not found", username)
}

// UpdateUser changes an account's role and/or password hash (nil leaves it).
// A new password ends the user's sessions. Demoting the last admin is
// refused. EINVALID, ENOTFOUND, ECONFLICT.
func (db *DB) UpdateUser(ctx context.Context, username string, role *homelabcmd.Role, passwordHash *string) (*homelabcmd.User, error) {
	var u *homelabcmd.User
	err := db.inTx(ctx, func(tx *Tx) error {
		if role != nil {
			if err := homelabcmd.ValidateRole("role", *role); err != nil {
				return err
			}
			if *role != homelabcmd.RoleAdmin {
				if err := keepAnAdmin(ctx, tx, username); err != nil {
					return err
				}
			}
			res, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE username = $3`, string(*role), tx.now, username)
			if err := mustAffect(res, err, "User '%s' not found", username); err != nil {
				return err
			}
		}
		if passwordHash != nil {
			res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3`, *passwordHash, tx.now, username)
			if err := mustAffect(res, err, "User '%s' not found", username); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)`, username); err != nil {
				return err
			}
		}
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
		return notFound(err, "User '%s' not found", username)
	})
	return u, err
}

// keepAnAdmin refuses to take admin away from username when it is the only
// admin left (the operator key still works, but the dashboard would have
// nobody to manage accounts). ECONFLICT.
func keepAnAdmin(ctx context.Context, tx *Tx, username string) error {
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND username <> $1`, username).Scan(&others); err != nil {
		return err
	}
	var isAdmin int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND username = $1`, username).Scan(&isAdmin); err != nil {
		return err
	}
	if isAdmin == 1 && others == 0 {
		return homelabcmd.Errorf(homelabcmd.ECONFLICT, "'%s' is the last admin; make another user admin first", username)
	}
	return nil
}

// DeleteUser removes an account and its sessions; force allows removing
// the last admin (the shell's recovery command). ENOTFOUND, ECONFLICT.
func (db *DB) DeleteUser(ctx context.Context, username string, force bool) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if !force {
			if err := keepAnAdmin(ctx, tx, username); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE username = $1`, username)
		return mustAffect(res, err, "User '%s' not found", username)
	})
}

// Authenticate checks a user name and password and records the sign-in.
// An unknown name costs the same time as a wrong password, and both give
// the same EUNAUTHORIZED.
func (db *DB) Authenticate(ctx context.Context, username, password string) (*homelabcmd.User, error) {
	var id int64
	var hash string
	err := db.read.QueryRowContext(ctx, `SELECT id, password_hash FROM users WHERE username = $1`, username).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		homelabcmd.SpendPasswordCheck(password)
		return nil, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid user name or password")
	} else if err != nil {
		return nil, err
	}
	if !homelabcmd.PasswordMatches(password, hash) {
		return nil, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid user name or password")
	}
	var u *homelabcmd.User
	err = db.inTx(ctx, func(tx *Tx) error {
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2 RETURNING `+userColumns, tx.now, id))
		return notFound(err, "User '%s' not found", username)
	})
	return u, err
}

// oidcNoPassword is the password hash of accounts made by single sign-on:
// no password matches it (it is no argon2id string).
const oidcNoPassword = "!oidc"

// SignInOIDC finds or creates the account linked to an OpenID subject,
// gives it the role the provider's claim maps to (on every sign-in) and
// records the sign-in. A local account with the same name is never taken
// over. ECONFLICT, EINVALID.
func (db *DB) SignInOIDC(ctx context.Context, subject, username string, role homelabcmd.Role) (*homelabcmd.User, error) {
	var u *homelabcmd.User
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := homelabcmd.ValidateRole("role", role); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET role = $1, last_login_at = $2, updated_at = $2
			WHERE oidc_subject = $3 RETURNING `+userColumns, string(role), tx.now, subject))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := homelabcmd.ValidateUsername(username); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, role, oidc_subject, last_login_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5, $5) RETURNING `+userColumns, username, oidcNoPassword, string(role), subject, tx.now))
		return translate(err, "An account named '"+username+"' exists already on this hub; an admin must rename or delete it before you can sign in with single sign-on", "")
	})
	return u, err
}
