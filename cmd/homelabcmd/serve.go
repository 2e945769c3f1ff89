package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/httpapi"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// Hub is the running hub: ParseFlags, Run, then Close. End-to-end tests
// reuse it by setting Config directly.
type Hub struct {
	Config *config.Hub
	Logger *slog.Logger
	Stdout io.Writer

	DB   *sqlstore.DB
	HTTP *httpapi.Server
}

func runServe(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	cfg, err := config.LoadHub(args, env, stderr)
	if err != nil {
		return err
	}
	h := &Hub{Config: cfg, Logger: newLogger(stderr, cfg.LogLevel, cfg.LogFormat), Stdout: stdout}
	if err := h.Run(ctx); err != nil {
		h.Close()
		return err
	}
	<-ctx.Done()
	h.Logger.Info("shutting down")
	return h.Close()
}

// Run opens and migrates the database and starts serving.
func (h *Hub) Run(ctx context.Context) error {
	db, err := sqlstore.Open(ctx, h.Config.DatabaseURL)
	if err != nil {
		return err
	}
	h.DB = db
	if err := db.Migrate(ctx, h.Logger.With("component", "migrate")); err != nil {
		return err
	}
	version, _ := db.SchemaVersion(ctx)
	h.Logger.Info("database ready", "engine", db.Engine(), "schema_version", version, "path", db.Path())

	h.HTTP = httpapi.NewServer(db, h.Logger.With("component", "http"))
	h.HTTP.Addr = h.Config.Addr()
	if err := h.HTTP.Open(); err != nil {
		return fmt.Errorf("listen on %s: %w", h.HTTP.Addr, err)
	}
	h.Logger.Info("hub listening", "addr", h.HTTP.Addr, "url", h.HTTP.URL(), "version", homelabcmd.Version)
	if h.Stdout != nil {
		fmt.Fprintf(h.Stdout, "\nhomelabcmd hub %s is running.\n  Dashboard and API: %s/\n  Health:            %s/api/v1/system/health\n\n",
			homelabcmd.Version, h.HTTP.URL(), h.HTTP.URL())
	}
	return nil
}

// Close stops serving (waiting up to 10 s for running requests) and closes
// the database.
func (h *Hub) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if h.HTTP != nil {
		err = h.HTTP.Close(ctx)
	}
	if h.DB != nil {
		if e := h.DB.Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
