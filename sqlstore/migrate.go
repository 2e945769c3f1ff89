package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migrationLockID is the PostgreSQL advisory lock that serialises migrators,
// so several hubs starting together against one database all succeed.
const migrationLockID = 0x686f6d656c6162 // "homelab"

// MigrationFS returns the embedded migrations of one engine.
func MigrationFS(e Engine) fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(e))
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Migrator applies the embedded, versioned migrations; each runs in its own
// transaction and is recorded in the goose_db_version table.
type Migrator struct {
	p *goose.Provider
}

// Migrator returns a migrator for this database.
func (db *DB) Migrator(logger *slog.Logger) (*Migrator, error) {
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	if db.Engine() == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write, MigrationFS(db.Engine()), opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{p: p}, nil
}

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) ([]*goose.MigrationResult, error) { return m.p.Up(ctx) }

// UpTo applies pending migrations up to and including version.
func (m *Migrator) UpTo(ctx context.Context, version int64) ([]*goose.MigrationResult, error) {
	return m.p.UpTo(ctx, version)
}

// Down rolls back the newest applied migration.
func (m *Migrator) Down(ctx context.Context) (*goose.MigrationResult, error) { return m.p.Down(ctx) }

// DownTo rolls back every migration newer than version.
func (m *Migrator) DownTo(ctx context.Context, version int64) ([]*goose.MigrationResult, error) {
	return m.p.DownTo(ctx, version)
}

// Status lists every known migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]*goose.MigrationStatus, error) {
	return m.p.Status(ctx)
}

// Versions returns the applied and the newest known schema version.
func (m *Migrator) Versions(ctx context.Context) (current, target int64, err error) {
	return m.p.GetVersions(ctx)
}

// Migrate brings the schema to the newest version.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) error {
	m, err := db.Migrator(logger)
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s database: %w", db.Engine(), err)
	}
	return nil
}

// SchemaVersion returns the applied schema version (0 before any
// migration), read straight from goose's version table.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&v)
	return v, err
}
