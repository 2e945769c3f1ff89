package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// runBackup: homelabcmd backup --to FILE [--database-url URL]
func runBackup(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", envOr(env, config.EnvPrefix+"DATABASE_URL", sqlstore.DefaultURL), "database URL (also HOMELAB_CMD_DATABASE_URL)")
	to := fs.String("to", "", "file to write the copy to (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("--to FILE is required")
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", *to)
	}
	if err := sqlstore.RequireExisting(*dbURL); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	fmt.Fprintf(stderr, "backup: copying %s to %s …\n", db.Path(), *to)
	if err := db.Backup(ctx, *to); err != nil {
		return err
	}
	fi, err := os.Stat(*to)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written: %s (%.1f MB in %s)\n", *to, float64(fi.Size())/1e6, time.Since(start).Round(time.Millisecond))
	return nil
}

// runMigrateCopy: homelabcmd migrate copy --from URL --to URL
func runMigrateCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source database URL")
	to := fs.String("to", "", "target database URL (empty, or not yet created)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return errors.New("both --from and --to are required")
	}
	if err := sqlstore.RequireExisting(*from); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	src, err := sqlstore.Open(ctx, *from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := sqlstore.Open(ctx, *to)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	start := time.Now()
	if err := sqlstore.Copy(ctx, src, dst, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %s → %s in %s; point HOMELAB_CMD_DATABASE_URL at the target and start the hub\n",
		src.Engine(), dst.Engine(), time.Since(start).Round(time.Millisecond))
	return nil
}
