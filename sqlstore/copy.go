package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// copyOrder lists tables parents first, so foreign keys hold during a copy.
// Tables a newer migration adds and this list lacks are copied after them.
var copyOrder = []string{
	"servers", "config", "metrics", "metrics_hourly", "metrics_daily", "alerts",
	"expected_services", "service_status", "service_current_status",
	"agent_credentials", "registration_tokens", "users", "api_tokens", "web_sessions",
	"remediation_actions", "action_events",
	"checks", "check_servers", "check_status", "check_results",
}

// copyBatch rows go in one INSERT.
const copyBatch = 500

// Copy copies every row of src into dst, which is migrated to the same
// schema version first and must hold no servers yet (so nothing is
// overwritten). It is how an operator moves from SQLite to PostgreSQL (or
// back); progress goes to progress.
func Copy(ctx context.Context, src, dst *DB, progress io.Writer) error {
	sv, err := src.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("source schema: %w", err)
	}
	m, err := dst.Migrator(nil)
	if err != nil {
		return err
	}
	if _, err := m.UpTo(ctx, sv); err != nil {
		return fmt.Errorf("migrate the target to version %d: %w", sv, err)
	}
	if dv, _ := dst.SchemaVersion(ctx); dv != sv {
		return fmt.Errorf("the target is at schema version %d and the source at %d: upgrade the older one first (homelabcmd migrate up)", dv, sv)
	}
	var n int
	if err := dst.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM servers`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the target already holds %d servers; copy only into an empty database", n)
	}
	tables, err := src.tableNames(ctx)
	if err != nil {
		return err
	}
	return dst.inTx(ctx, func(tx *Tx) error {
		for _, t := range tables {
			start := time.Now()
			rows, err := copyTable(ctx, src, tx, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			fmt.Fprintf(progress, "copied %-24s %9d rows in %s\n", t, rows, time.Since(start).Round(time.Millisecond))
		}
		if dst.loc.Engine == Postgres {
			return resetSequences(ctx, tx, tables)
		}
		return nil
	})
}

// tableNames lists the application's tables in copy order.
func (db *DB) tableNames(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`
	if db.loc.Engine == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	var out []string
	for _, t := range copyOrder {
		if have[t] {
			out = append(out, t)
			delete(have, t)
		}
	}
	var rest []string
	for t := range have {
		rest = append(rest, t)
	}
	slices.Sort(rest)
	return append(out, rest...), rows.Err()
}

// boolColumns lists a target table's boolean columns: SQLite hands booleans
// out as integers, which PostgreSQL will not take for a boolean.
func boolColumns(ctx context.Context, tx *Tx, table string) (map[string]bool, error) {
	out := map[string]bool{}
	if tx.db.loc.Engine != Postgres {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND data_type = 'boolean'`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

func copyTable(ctx context.Context, src *DB, tx *Tx, table string) (int, error) {
	rows, err := src.read.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	bools, err := boolColumns(ctx, tx, table)
	if err != nil {
		return 0, err
	}
	insert := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	var batch []string
	var args []any
	total := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := tx.Tx.ExecContext(ctx, insert+strings.Join(batch, ", "), args...)
		batch, args = batch[:0], args[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return total, err
		}
		for i, c := range cols {
			if n, ok := vals[i].(int64); ok && bools[c] {
				vals[i] = n != 0
			}
		}
		batch = append(batch, placeholders(len(args), len(cols)))
		args = append(args, vals...)
		total++
		if len(batch) == copyBatch {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return total, err
	}
	return total, flush()
}

// resetSequences moves PostgreSQL's identity sequences past the copied ids.
func resetSequences(ctx context.Context, tx *Tx, tables []string) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`)
	if err != nil {
		return err
	}
	identity := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		identity[t] = true
	}
	rows.Close()
	for _, t := range tables {
		if !identity[t] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`, t); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Backup writes a consistent copy of a live SQLite database to path with
// VACUUM INTO (readers and the writer carry on meanwhile). It refuses to
// overwrite a file. PostgreSQL has its own tools (pg_dump).
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.loc.Engine != SQLite {
		return fmt.Errorf("backup copies SQLite databases; for PostgreSQL use pg_dump (see docs/operations.md)")
	}
	// Its own connection: VACUUM INTO only reads the database (a snapshot,
	// thanks to WAL), so the writer is never held up.
	conn, err := sql.Open("sqlite", sqliteDSN(db.loc.Path, true))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `VACUUM INTO $1`, path)
	return err
}
