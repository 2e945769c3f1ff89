// Package storetest gives tests a fresh database on every engine: a temp-file
// SQLite always, and PostgreSQL when HOMELAB_TEST_POSTGRES_URL is set (an
// isolated schema per test). Tests never mock the database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// EnvPostgres names the variable holding the PostgreSQL test server's URL,
// e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "HOMELAB_TEST_POSTGRES_URL"

// EnvRequirePostgres, when set (CI sets it), turns a skipped PostgreSQL test
// into a failure.
const EnvRequirePostgres = "HOMELAB_TEST_REQUIRE_POSTGRES"

// Engines are the engine names ForEachEngine runs.
var Engines = []string{"sqlite", "postgres"}

// ForEachEngine runs fn as a subtest per engine with a fresh, empty database
// URL. The PostgreSQL subtest skips with a one-line reason when the variable
// is unset, and fails when it is set but the server cannot be reached.
func ForEachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { fn(t, NewURL(t, e)) })
	}
}

// NewURL returns the URL of a fresh database of the given engine, removed
// when the test ends.
func NewURL(tb testing.TB, engine string) string {
	tb.Helper()
	if engine == "sqlite" {
		return "sqlite:///" + filepath.Join(tb.TempDir(), "homelab.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv(EnvRequirePostgres) != "" {
			tb.Fatalf("%s is set but %s is not: PostgreSQL tests must run", EnvRequirePostgres, EnvPostgres)
		}
		tb.Skip("PostgreSQL tests skipped: set " + EnvPostgres + " to run them")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s is set but unusable: %v", EnvPostgres, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		tb.Fatalf("%s is set but PostgreSQL is unreachable: %v", EnvPostgres, err)
	}
	schema := "t_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
