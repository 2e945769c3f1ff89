package sqlstore

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/homelabcmd/homelabcmd"
)

// Extended SQLite result codes for constraint failures.
const (
	sqliteUnique     = sqlite3.SQLITE_CONSTRAINT_UNIQUE
	sqlitePrimaryKey = sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteForeignKey = sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
)

// isUniqueViolation reports a unique or primary-key violation on either engine.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteUnique || se.Code() == sqlitePrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isForeignKeyViolation reports a foreign-key violation on either engine.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteForeignKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// translate turns driver errors into the domain's typed errors; msgs gives
// the client-safe message for a conflict and a missing parent, in that order.
func translate(err error, conflictMsg, missingParentMsg string) error {
	switch {
	case err == nil:
		return nil
	case isUniqueViolation(err):
		return &homelabcmd.Error{Code: homelabcmd.ECONFLICT, Message: conflictMsg}
	case isForeignKeyViolation(err):
		return &homelabcmd.Error{Code: homelabcmd.ENOTFOUND, Message: missingParentMsg}
	}
	return err
}

// notFound maps sql.ErrNoRows to a typed not-found error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return homelabcmd.Errorf(homelabcmd.ENOTFOUND, format, args...)
	}
	return err
}
