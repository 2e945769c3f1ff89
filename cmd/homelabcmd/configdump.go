package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/config/option"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// storedReadTimeout bounds the attempt to read stored settings, so that a
// dump never hangs on an unreachable PostgreSQL.
const storedReadTimeout = 3 * time.Second

// runConfig is `homelabcmd config dump`: the hub's effective configuration,
// read exactly as `serve` reads it (same flags, variables and --config),
// each value with its source and secrets masked. An invalid configuration
// is printed, then reported as the error.
func runConfig(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "dump" {
		return errors.New("usage: homelabcmd config dump [--json] [serve flags]")
	}
	fs := flag.NewFlagSet("config dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: homelabcmd config dump [--json] [serve flags]\n\nPrints each setting of `serve`, where it came from (default, file, env, flag, or stored in the database), secrets masked.\n%s\n\n", config.FlagHelp)
		fs.PrintDefaults()
	}
	cfg, set, file, err := config.ParseHub(fs, args[1:], env)
	if err != nil {
		return err
	}
	d := &option.Dump{ConfigFile: file, Options: set.Entries()}
	invalid := cfg.Validate()
	var missing error
	if invalid == nil {
		missing = addStored(ctx, cfg, d)
	} else {
		d.Notes = append(d.Notes, "invalid: "+invalid.Error())
	}
	if err := d.Write(stdout, *asJSON); err != nil {
		return err
	}
	if invalid != nil {
		return invalid
	}
	return missing
}

// addStored marks the options that a value stored in the database overrides
// at run time: stored alert thresholds replace offline_timeout when it is
// left at its default (an explicit one wins: alerting.Pin). It reads an
// existing database only (a missing SQLite file is not created) and says in
// a note when it cannot. A missing SQLite file is also returned as the
// command's error: the hub configured so would start on an empty database.
func addStored(ctx context.Context, cfg *config.Hub, d *option.Dump) error {
	loc, err := sqlstore.ParseURL(cfg.DatabaseURL)
	if err != nil {
		d.Notes = append(d.Notes, "stored settings not read: "+err.Error())
		return nil
	}
	if loc.Engine == sqlstore.SQLite {
		if err := sqlstore.RequireExisting(cfg.DatabaseURL); err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("stored settings not read: no database at %s yet", loc.AbsPath()))
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, storedReadTimeout)
	defer cancel()
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		d.Notes = append(d.Notes, "stored settings could not be read: "+err.Error())
		return nil
	}
	defer db.Close()
	t, err := hub.New(db, nil, hub.Options{Alerting: alertingConfig(cfg)}).StoredThresholds(ctx)
	if err != nil {
		d.Notes = append(d.Notes, "stored settings could not be read: "+err.Error())
		return nil
	}
	// An explicit offline_timeout wins over the stored value (alerting.Pin).
	e := d.Entry("offline_timeout")
	switch {
	case e == nil || t == nil:
	case e.Source == option.Default:
		e.Note = fmt.Sprintf("thresholds.server_offline_seconds; overrides %s from %s", e.Value, e.Source)
		e.Value = option.FormatDuration(time.Duration(t.ServerOfflineSeconds) * time.Second)
		e.Source = option.Stored
	default:
		e.Note = fmt.Sprintf("wins over the stored thresholds.server_offline_seconds (%s)", option.FormatDuration(time.Duration(t.ServerOfflineSeconds)*time.Second))
	}

	return nil
}
