package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/pressly/goose/v3"

	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// runMigrate: homelabcmd migrate [--database-url URL] up | up-to N | down | down-to N | status
func runMigrate(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "copy" {
		return runMigrateCopy(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", envOr(env, config.EnvPrefix+"DATABASE_URL", sqlstore.DefaultURL), "database URL (also HOMELAB_CMD_DATABASE_URL)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: homelabcmd migrate [--database-url URL] up | up-to N | down | down-to N | status\n       homelabcmd migrate copy --from URL --to URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return fmt.Errorf("missing action")
	}
	action, version := rest[0], int64(-1)
	switch action {
	case "up", "down", "status":
		if len(rest) != 1 {
			return fmt.Errorf("%s takes no argument", action)
		}
	case "up-to", "down-to":
		if len(rest) != 2 {
			return fmt.Errorf("%s needs a version number", action)
		}
		v, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("%s: %q is not a version number", action, rest[1])
		}
		version = v
	default:
		return fmt.Errorf("unknown action %q (use up, up-to N, down, down-to N or status)", action)
	}

	// Only "up" may create the database; the others would leave an empty
	// file behind when pointed at the wrong folder.
	if action != "up" && action != "up-to" {
		if err := sqlstore.RequireExisting(*dbURL); err != nil {
			return err
		}
	}
	db, err := sqlstore.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Migrator(nil)
	if err != nil {
		return err
	}
	var results []*goose.MigrationResult
	switch action {
	case "status":
		return printStatus(ctx, m, db, stdout)
	case "up":
		results, err = m.Up(ctx)
	case "up-to":
		results, err = m.UpTo(ctx, version)
	case "down":
		var r *goose.MigrationResult
		if r, err = m.Down(ctx); r != nil {
			results = append(results, r)
		}
	case "down-to":
		results, err = m.DownTo(ctx, version)
	}
	for _, r := range results {
		fmt.Fprintln(stdout, r.String())
	}
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintln(stdout, "nothing to do")
	}
	cur, _ := db.SchemaVersion(ctx)
	fmt.Fprintf(stdout, "%s schema is at version %d\n", db.Engine(), cur)
	return nil
}

func printStatus(ctx context.Context, m *sqlstore.Migrator, db *sqlstore.DB, stdout io.Writer) error {
	st, err := m.Status(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "VERSION\tSTATE\tAPPLIED AT\tMIGRATION\n")
	for _, s := range st {
		applied := "-"
		if !s.AppliedAt.IsZero() {
			applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, baseName(s.Source.Path))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	cur, target, err := m.Versions(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s schema at version %d of %d\n", db.Engine(), cur, target)
	return nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// envOr returns the value of name in env, or def.
func envOr(env []string, name, def string) string {
	for _, kv := range env {
		if len(kv) > len(name) && kv[:len(name)] == name && kv[len(name)] == '=' {
			return kv[len(name)+1:]
		}
	}
	return def
}
