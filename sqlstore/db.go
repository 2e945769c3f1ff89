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
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver (no cgo)

	"github.com/homelabcmd/homelabcmd"
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
	// Events receives the events a transaction announced, after it
	// commits; nil drops them.
	Events Deliverer
	// Origin names this process in the pg_notify envelopes it sends, so
	// its own listener skips what it already delivered.
	Origin string
	// HistorySampleEvery thins service history: while a service's state is
	// unchanged, keep a sample at most this often (transitions always).
	// Zero keeps every report.
	HistorySampleEvery time.Duration

	checkpointDone chan struct{}
	// committed wakes the checkpoint loop after a write commits (SQLite).
	committed   chan struct{}
	ingestQueue chan *ingestRequest
	closing     chan struct{}
	ingestWG    sync.WaitGroup
	// units caches what the ingest wrote of each server's units.
	units unitCache
}

// Open connects to the database named by rawURL. It does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db := &DB{loc: loc, Now: time.Now, Origin: homelabcmd.NewGUID()}
	switch loc.Engine {
	case SQLite:
		// Absolute from here on: logs and backups name the file exactly.
		loc.Path = loc.AbsPath()
		db.loc.Path = loc.Path
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
	if loc.Engine == SQLite {
		db.checkpointDone, db.committed = make(chan struct{}), make(chan struct{}, 1)
		go db.checkpointLoop()
	}
	return db, nil
}

// sqliteDSN builds the modernc DSN. Each pragma is set on every connection:
//   - journal_mode=WAL: readers do not block the writer and vice versa.
//   - foreign_keys=ON: the cascade deletes depend on it (the original left
//     it off and orphaned history rows).
//   - busy_timeout: wait for another process (e.g. `migrate`) rather than fail.
//   - synchronous=NORMAL: durable across application crashes in WAL mode, and
//     much faster than FULL; a power cut may lose the last transactions.
//   - temp_store=MEMORY: statement journals of multi-row upserts stay in
//     memory instead of a temp file written page by page.
//   - cache_size 64 MiB on the writer: a group-commit batch touches many index
//     pages; a small cache spills them to the WAL before commit.
//   - wal_autocheckpoint=16384 pages on the writer: checkpoints (and their
//     fsync, which stalls every commit behind it) run in the background;
//     see checkpointLoop.
//   - _txlock=immediate on the writer: take the write lock at BEGIN so two
//     processes cannot deadlock upgrading read locks.
//   - _time_format=sqlite: times as sortable "YYYY-MM-DD HH:MM:SS.fff+00:00".
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_time_format", "sqlite")
	if writer {
		q.Add("_pragma", "cache_size(-65536)")
		q.Add("_pragma", "wal_autocheckpoint(16384)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Engine reports which engine the store runs on.
func (db *DB) Engine() Engine { return db.loc.Engine }

// PostgresDSN is the PostgreSQL connection string, "" for SQLite.
func (db *DB) PostgresDSN() string { return db.loc.DSN }

// Path is the SQLite file as an absolute path, "" for PostgreSQL.
func (db *DB) Path() string { return db.loc.Path }

// Close closes every pool.
func (db *DB) Close() error {
	if db.closing != nil {
		close(db.closing)
		db.ingestWG.Wait()
		if db.checkpointDone != nil {
			<-db.checkpointDone
		}
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

// Deliverer takes committed events (live.Broker).
type Deliverer interface {
	Deliver(e homelabcmd.Event)
}

// Tx is a write transaction with the time fixed at its start. It
// implements homelabcmd.Tx for the hub engine.
type Tx struct {
	*sql.Tx
	db     *DB
	now    time.Time
	stmts  map[string]*sql.Stmt // closed by the driver at commit or rollback
	events []homelabcmd.Event
}

var _ homelabcmd.Tx = (*Tx)(nil)

// Now is the transaction's time.
func (tx *Tx) Now() time.Time { return tx.now }

// Announce queues e for delivery when the transaction commits.
func (tx *Tx) Announce(e homelabcmd.Event) { tx.events = append(tx.events, e) }

// commit commits and then delivers the announced events. On PostgreSQL
// they are also sent with pg_notify inside the transaction, which the
// server delivers to the other hubs exactly when (and only if) it commits.
func (tx *Tx) commit(ctx context.Context) error {
	if len(tx.events) > 0 && tx.db.loc.Engine == Postgres {
		if err := tx.notifyOthers(ctx); err != nil {
			return err
		}
	}
	if err := tx.Tx.Commit(); err != nil {
		return err
	}
	if c := tx.db.committed; c != nil {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	if d := tx.db.Events; d != nil {
		for _, e := range tx.events {
			d.Deliver(e)
		}
	}
	return nil
}

// begin starts a write transaction. Callers must defer tx.Rollback().
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, db: db, now: db.now()}, nil
}

// stmt returns query prepared on this transaction, once per transaction.
// A group-commit batch runs the same short statements for every heartbeat,
// and parsing dominates SQLite's cost for them; PostgreSQL's driver caches
// prepared statements by itself.
func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, bool) {
	if tx.db.loc.Engine != SQLite {
		return nil, false
	}
	if st, ok := tx.stmts[query]; ok {
		return st, true
	}
	st, err := tx.Tx.PrepareContext(ctx, positional(query))
	if err != nil {
		return nil, false // let the plain path report the error
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, true
}

// positional rewrites $1, $2, … $n to plain "?" when each appears once and
// in order. SQLite looks up every "$N" by name, which costs O(n²) on the
// hundreds of parameters of a multi-row insert; "?" is bound by position.
func positional(query string) string {
	var b strings.Builder
	next := 1
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(query[i+1 : j])
		if err != nil || n != next {
			return query // reused or out of order: keep the names
		}
		next++
		b.WriteByte('?')
		i = j - 1
	}
	return b.String()
}

// ExecContext runs a write through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := tx.stmt(ctx, query); ok {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := tx.stmt(ctx, query); ok {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query through the statement cache.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := tx.stmt(ctx, query); ok {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
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
	return tx.commit(ctx)
}

// InTx runs fn in a write transaction; see homelabcmd.TxStore.
func (db *DB) InTx(ctx context.Context, fn func(homelabcmd.Tx) error) error {
	return db.inTx(ctx, func(tx *Tx) error { return fn(tx) })
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

// checkpointInterval paces the background checkpoints: a PASSIVE one copies
// the WAL into the database without blocking the writer (and pays the fsync
// off the commit path). It runs after commits, at most this often while
// they keep coming, and not at all while the hub is idle (a timer woken by
// commits, not a ticker). It cannot let the WAL wrap around under constant
// load, so the writer's own autocheckpoint stays on as a backstop at a
// large size (wal_autocheckpoint in sqliteDSN), where most frames are
// already copied and its pause is short; checkpointFallback catches writes
// made outside a transaction.
const (
	checkpointInterval = 250 * time.Millisecond
	checkpointFallback = time.Minute
)

func (db *DB) checkpointLoop() {
	defer close(db.checkpointDone)
	conn, err := sql.Open("sqlite", sqliteDSN(db.loc.Path, true))
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	fallback := time.NewTicker(checkpointFallback)
	defer fallback.Stop()
	wakes := 0 // commit wake-ups since the last fallback tick
	for {
		select {
		case <-db.closing:
			_, _ = conn.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case <-fallback.C:
			// Under light load (fewer than one commit wake-up a second) the
			// writer's 64 MiB cache, filled by a burst or by days of
			// heartbeats, is memory an idle hub holds for nothing: the
			// next write reads its pages again from the OS's cache.
			if wakes < int(checkpointFallback/time.Second) {
				_, _ = db.write.Exec("PRAGMA shrink_memory")
			}
			wakes = 0
		case <-db.committed:
			wakes++
			// Let the commits of the next interval gather first.
			select {
			case <-db.closing:
				continue
			case <-time.After(checkpointInterval):
			}
		}
		_, _ = conn.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}
