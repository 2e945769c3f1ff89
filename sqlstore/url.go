package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Engine names a database engine.
type Engine string

// The two engines the store serves.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DefaultURL is where a hub with no configuration keeps its data.
const DefaultURL = "sqlite:///./data/homelab.db"

// Location is a parsed database URL.
type Location struct {
	Engine Engine
	// Path is the SQLite file; DSN is the PostgreSQL connection string.
	Path string
	DSN  string
}

// ParseURL reads a database URL the way the original (SQLAlchemy) did:
// sqlite:///relative/path.db, sqlite:////absolute/path.db, postgres://…
// A SQLite URL that names no file, or an in-memory one, is refused.
func ParseURL(raw string) (Location, error) {
	raw = strings.TrimSpace(raw)
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Location{}, fmt.Errorf("database URL %q has no scheme: use sqlite:///path/to/file.db or postgres://user@host/db", raw)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "sqlite+aiosqlite", "sqlite+pysqlite":
		// After "sqlite://" comes an (empty) host and "/", then the path:
		// "/rel.db" is relative, "//abs.db" is absolute.
		if !strings.HasPrefix(rest, "/") {
			return Location{}, fmt.Errorf("database URL %q: a SQLite URL has three slashes before a relative path (sqlite:///data/homelab.db) and four before an absolute one", raw)
		}
		path, _, _ := strings.Cut(rest[1:], "?")
		if path == "" || path == ":memory:" {
			return Location{}, fmt.Errorf("database URL %q names no file: give one, e.g. sqlite:///./data/homelab.db", raw)
		}
		if strings.HasSuffix(path, "/") {
			return Location{}, fmt.Errorf("database URL %q names a folder, not a file", raw)
		}
		return Location{Engine: SQLite, Path: filepath.Clean(path)}, nil
	case "postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg":
		return Location{Engine: Postgres, DSN: "postgres://" + rest}, nil
	}
	return Location{}, fmt.Errorf("database URL %q: unsupported scheme %q (use sqlite or postgres)", raw, scheme)
}

// RequireExisting refuses a SQLite URL whose file does not exist, naming
// its absolute path and how to point at the right one, so that commands
// other than `serve` and `migrate up` never create an empty database by
// accident (a relative URL is resolved from the current folder). A
// PostgreSQL URL passes: the server says whether the database exists.
func RequireExisting(rawURL string) error {
	loc, err := ParseURL(rawURL)
	if err != nil || loc.Engine != SQLite {
		return err
	}
	abs, err := filepath.Abs(loc.Path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no database at %s (database URL %q): run this in the hub's folder, or point --database-url or HOMELAB_CMD_DATABASE_URL at the hub's database, e.g. sqlite:///%s", abs, rawURL, "/path/to/homelab.db")
		}
		return fmt.Errorf("database %s: %w", abs, err)
	}
	return nil
}

// AbsPath is the absolute path of a SQLite file ("" for PostgreSQL), for
// logs that must say which database a command used.
func (l Location) AbsPath() string {
	if l.Engine != SQLite {
		return ""
	}
	if abs, err := filepath.Abs(l.Path); err == nil {
		return abs
	}
	return l.Path
}
