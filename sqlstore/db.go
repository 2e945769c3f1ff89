// Package sqlstore keeps homelabcmd's data in SQLite or PostgreSQL through
// database/sql, with the same SQL for both engines wherever they agree
// ($N placeholders, RETURNING, ON CONFLICT) and versioned, embedded migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver (no cgo)
)

// DB is an open store. With SQLite it holds two pools: a single writer
// connection (SQLite allows one writer; queuing in Go beats SQLITE_BUSY) and
// a pool of readers, which WAL lets run beside the writer.
type DB struct {
	loc   Location
	write *sql.DB
	read  *sql.DB
	// Now is the clock; tests replace it.
	Now func() time.Time

	ingestQueue chan *ingestRequest
	closing     chan struct{}
	ingestWG    sync.WaitGroup
}

// Open connects to the database named by rawURL. It does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db := &DB{loc: loc, Now: time.Now}
	switch loc.Engine {
	case SQLite:
		if err := os.MkdirAll(filepath.Dir(loc.Path), 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
		if db.write, err = sql.Open("sqlite", sqliteDSN(loc.Path, true)); err != nil {
			return nil, err
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetConnMaxIdleTime(0)
		if db.read, err = sql.Open("sqlite", sqliteDSN(loc.Path, false)); err != nil {
			db.write.Close()
			return nil, err
		}
		db.read.SetMaxOpenConns(4)
	case Postgres:
		if db.write, err = sql.Open("pgx", loc.DSN); err != nil {
			return nil, err
		}
		db.write.SetMaxOpenConns(16)
		db.write.SetMaxIdleConns(16)
		db.read = db.write
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.write.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", loc.Engine, err)
	}
	db.startIngesters()
	return db, nil
}

// sqliteDSN builds the modernc DSN. Each pragma is set on every connection:
//   - journal_mode=WAL: readers do not block the writer and vice versa.
//   - foreign_keys=ON: the cascade deletes depend on it (the original left
//     it off and orphaned history rows).
//   - busy_timeout: wait for another process (e.g. `migrate`) rather than fail.
//   - synchronous=NORMAL: durable across application crashes in WAL mode, and
//     much faster than FULL; a power cut may lose the last transactions.
//   - _txlock=immediate on the writer: take the write lock at BEGIN so two
//     processes cannot deadlock upgrading read locks.
//   - _time_format=sqlite: times as sortable "YYYY-MM-DD HH:MM:SS.fff+00:00".
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Engine reports which engine the store runs on.
func (db *DB) Engine() Engine { return db.loc.Engine }

// Path is the SQLite file, "" for PostgreSQL.
func (db *DB) Path() string { return db.loc.Path }

// Close closes every pool.
func (db *DB) Close() error {
	if db.closing != nil {
		close(db.closing)
		db.ingestWG.Wait()
		db.closing = nil
	}
	var err error
	if db.read != nil && db.read != db.write {
		err = db.read.Close()
	}
	if db.write != nil {
		if e := db.write.Close(); e != nil {
			err = e
		}
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// now returns the clock's time in UTC, truncated to microseconds (the
// precision both engines keep), so values read back compare equal.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// Tx is a write transaction with the time fixed at its start.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
}

// begin starts a write transaction. Callers must defer tx.Rollback().
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: db, now: db.now()}, nil
}

// inTx runs fn in a write transaction and commits when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// querier is what read helpers need: a *sql.DB, *sql.Tx or *Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// utc normalises a time for storage: UTC, microsecond precision.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// EngineName is "sqlite" or "postgres".
func (db *DB) EngineName() string { return string(db.loc.Engine) }
