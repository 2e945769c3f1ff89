package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// runKey is `homelabcmd key reset [serve flags]`: replace a generated
// operator key with a new one, printed once. It reads the configuration as
// `serve` does, so it finds the same database; a running hub notices the
// new key within a second, and dashboard sessions end.
func runKey(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "reset" {
		return errors.New("usage: homelabcmd key reset [serve flags, e.g. --database-url URL]")
	}
	fs := flag.NewFlagSet("key reset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: homelabcmd key reset [serve flags]\n\nPrints a new operator API key and invalidates the old one (the hub may be running or stopped).\n%s\n\n", config.FlagHelp)
		fs.PrintDefaults()
	}
	cfg, _, _, err := config.ParseHub(fs, args[1:], env)
	if err != nil {
		return err
	}
	if cfg.APIKey != "" {
		return errors.New("the operator key comes from your configuration (api_key, HOMELAB_CMD_API_KEY or --api-key): change it there")
	}
	if err := sqlstore.RequireExisting(cfg.DatabaseURL); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v == 0 {
		return fmt.Errorf("the database at %s has no hub schema yet: start the hub once (homelabcmd serve)", dbName(db))
	}
	key, err := db.ResetAPIKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "key reset: the old key no longer works (a running hub notices within a second); dashboard sessions were ended (%s)\n", dbName(db))
	fmt.Fprintln(stdout, key)
	return nil
}

// dbName names a database for messages: the SQLite file or the engine.
func dbName(db *sqlstore.DB) string {
	if p := db.Path(); p != "" {
		return p
	}
	return string(db.Engine()) + " database"
}
