package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/httpapi"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/memtrim"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/oidclogin"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// Hub is the running hub: ParseFlags, Run, then Close. End-to-end tests
// reuse it by setting Config directly.
type Hub struct {
	Config *config.Hub
	Logger *slog.Logger
	Stdout io.Writer

	DB     *sqlstore.DB
	Engine *hub.Engine
	HTTP   *httpapi.Server
	Events *live.Broker
	// APIKey is the operator key in plain text when this process knows it
	// (configured, or generated on this first start); "" otherwise, since
	// only its hash is stored.
	APIKey string
	// stopLocalAgent stops the built-in agent; nil when none runs.
	stopLocalAgent func()

	stopJobs func()
	// listener is bound but not yet handed to HTTP; Close closes it.
	listener net.Listener
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
	trim := time.AfterFunc(startupSettle, h.releaseStartupMemory)
	defer trim.Stop()
	<-ctx.Done()
	h.Logger.Info("shutting down")
	return h.Close()
}

// startupSettle is when the hub has started: migrations done, the built-in
// agent's first heartbeat stored.
const startupSettle = 15 * time.Second

// releaseStartupMemory gives back what only startup needed: the garbage of
// the migrations and package initialisation, and the executable's pages
// that startup touched once (memtrim). An idle hub's RSS is
// then what it keeps using: measured 36 → 28 MB with the built-in agent,
// 36 → 22 MB without (docs/performance.md).
func (h *Hub) releaseStartupMemory() {
	debug.FreeOSMemory()
	n, err := memtrim.DropExecutablePages()
	h.Logger.Debug("startup memory released", "executable_mapped_bytes", n, "err", err)
}

// Run opens and migrates the database and starts serving.
func (h *Hub) Run(ctx context.Context) error {
	db, err := sqlstore.Open(ctx, h.Config.DatabaseURL)
	if err != nil {
		return err
	}
	h.DB = db
	h.Events = live.NewBroker()
	db.Events = h.Events // the store delivers what each commit announced
	db.HistorySampleEvery = h.Config.HistorySampleInterval
	guard := notify.NewGuard(h.Config.NotifyAllowPrivate)
	h.Engine = hub.New(db, h.Events, hub.Options{Alerting: alertingConfig(h.Config), Restart: h.Config.RestartPolicy(),
		Logger: h.Logger.With("component", "engine"), NotifyGuard: guard, Pinned: pinnedThresholds(h.Config)})
	if err := db.Migrate(ctx, h.Logger.With("component", "migrate")); err != nil {
		return err
	}
	version, _ := db.SchemaVersion(ctx)
	h.Logger.Info("database ready", "engine", db.Engine(), "schema_version", version, "path", db.Path())

	// Bind first: a start that fails on a busy port must not store a
	// generated key it never got to print.
	ln, err := net.Listen("tcp", h.Config.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another program uses the port? choose one with --port or HOMELAB_CMD_PORT)", h.Config.Addr(), err)
	}
	h.listener = ln
	keyHash, err := h.initAPIKey(ctx)
	if err != nil {
		return err
	}
	if err := h.applyChannelsFile(ctx); err != nil {
		return err
	}
	h.HTTP = httpapi.NewServer(db, h.Engine, keyHash, h.Events, h.Logger.With("component", "http"))
	if h.Config.APIKey == "" {
		h.HTTP.UseStoredKey(db.APIKeyHash) // `homelabcmd key reset` may replace it
	}
	h.HTTP.ExternalURL = h.Config.ExternalURL
	h.HTTP.TrustedProxies = h.Config.TrustedProxies
	h.HTTP.CORSOrigins = h.Config.CORSOrigins
	h.HTTP.MaxConns = h.Config.MaxConnections
	h.HTTP.NotifyGuard = guard
	h.HTTP.AgentsDir = h.Config.AgentsDir
	h.HTTP.Agentless.KeyFile = h.secretsKeyFile()
	h.HTTP.Agentless.TailscaleURL = h.Config.TailscaleAPIURL
	h.HTTP.TLSCertFile, h.HTTP.TLSKeyFile = h.Config.TLSCert, h.Config.TLSKey
	if sso := h.Config.SingleSignOn(); sso != nil {
		h.HTTP.SSO = oidclogin.New(*sso, &http.Client{Timeout: 15 * time.Second})
		h.Logger.Info("single sign-on enabled", "issuer", sso.Issuer, "role_claim", sso.RoleClaim)
	}
	h.serveMetrics()
	h.HTTP.Addr = h.Config.Addr()
	h.HTTP.Listener = ln
	h.HTTP.LANURL = h.agentURL()
	// The welcome (with a generated key) is out before the first request
	// is answered.
	h.printWelcome(ctx)
	h.listener = nil
	if err := h.HTTP.Open(); err != nil {
		return fmt.Errorf("serve on %s: %w", h.HTTP.Addr, err)
	}
	h.Logger.Info("hub listening", "addr", h.HTTP.Addr, "url", h.HTTP.URL(), "version", homelabcmd.Version)
	if err := h.startJobs(); err != nil {
		return err
	}
	h.startLocalAgent(ctx)
	return nil
}

// initAPIKey returns the hash of the operator key: the configured key, or
// one generated on the first start, stored hashed and printed once.
func (h *Hub) initAPIKey(ctx context.Context) (string, error) {
	if h.Config.APIKey != "" {
		h.APIKey = h.Config.APIKey
		return homelabcmd.HashSecret(h.Config.APIKey), nil
	}
	generated, hash, err := h.DB.InitAPIKey(ctx)
	if err != nil {
		return "", fmt.Errorf("set up the API key: %w", err)
	}
	if generated != "" {
		h.APIKey = generated
		h.Logger.Warn("generated an operator API key; it is shown once on stdout and stored only as a hash")
	} else {
		h.Logger.Info("using the stored operator API key (lost it? `homelabcmd key reset` prints a new one; or set HOMELAB_CMD_API_KEY)")
	}
	return hash, nil
}

// Close stops serving (waiting up to 10 s for running requests) and closes
// the database.
func (h *Hub) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if h.stopLocalAgent != nil {
		h.stopLocalAgent()
	}
	if h.stopJobs != nil {
		h.stopJobs()
	}
	var err error
	if h.listener != nil {
		h.listener.Close()
	}
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

// printWelcome tells a newcomer where to browse and how to add an agent:
// through a one-time registration token and an address other machines can
// reach, never the operator key.
func (h *Hub) printWelcome(ctx context.Context) {
	if h.Stdout == nil {
		return
	}
	url := h.HTTP.URL()
	agentURL := h.agentURL()
	if h.Config.ExternalURL != "" {
		url = h.Config.ExternalURL
	}
	// Only a key generated on this very start is printed (once): a
	// configured key is never written to the output or the logs.
	key := h.APIKey
	keyNote := "(shown once: keep it; only its hash is stored)"
	if h.Config.APIKey != "" {
		key, keyNote = "<your API key>", "(the one in your configuration; not printed)"
	} else if key == "" {
		key, keyNote = "<your API key>", "(printed on the first start; lost it? `homelabcmd key reset` prints a new one)"
	}
	dbName := "-"
	if h.DB != nil {
		if dbName = h.DB.Path(); dbName == "" {
			dbName = string(h.DB.Engine())
		}
	}
	fmt.Fprintf(h.Stdout, `
homelabcmd hub %s is running.

  Dashboard:  %s/
  API:        %s/api/v1   (header X-API-Key)
  API key:    %s  %s
  Database:   %s

Add a machine: "Add server" in the dashboard gives a one-line install command with a
one-time registration token (agents get their own token, never the API key).
`, homelabcmd.Version, url, url, key, keyNote, dbName)
	// On the first start, one such command right here (valid for an hour).
	if h.APIKey != "" && h.Config.APIKey == "" && h.DB != nil {
		t := &homelabcmd.RegistrationToken{}
		if err := h.DB.CreateRegistrationToken(ctx, t, time.Hour); err != nil {
			h.Logger.Warn("could not create a registration token for the welcome message", "err", err)
		} else {
			fmt.Fprintf(h.Stdout, `On the machine to add, as root (valid for an hour, once):
  curl -fsSL %s/api/v1/agents/register/install.sh | sudo sh -s -- --token %s --server-id <name>
`, agentURL, t.Token)
		}
	}
	fmt.Fprintln(h.Stdout)
}

// agentURL is how agents on other machines reach this hub: external_url,
// else this machine's LAN address when listening on every address, else
// the listening address.
func (h *Hub) agentURL() string {
	if h.Config.ExternalURL != "" {
		return strings.TrimRight(h.Config.ExternalURL, "/")
	}
	if ip := lanAddress(); ip != "" && (h.Config.Host == "" || h.Config.Host == "0.0.0.0" || h.Config.Host == "::") {
		scheme := "http://"
		if h.Config.TLSCert != "" {
			scheme = "https://"
		}
		return scheme + net.JoinHostPort(ip, strconv.Itoa(h.HTTP.Port()))
	}
	return h.HTTP.URL()
}

// lanAddress is this machine's first private IPv4 address, which agents on
// other machines can reach; "" when there is none.
func lanAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && ipn.IP.IsPrivate() {
			return ipn.IP.String()
		}
	}
	return ""
}

// secretsKeyFile is where the key that seals SSH credentials lives:
// configured, else beside the SQLite database, else ./data.
func (h *Hub) secretsKeyFile() string {
	if h.Config.SecretsKeyFile != "" {
		return h.Config.SecretsKeyFile
	}
	if p := h.DB.Path(); p != "" {
		return filepath.Join(filepath.Dir(p), "secrets.key")
	}
	return filepath.Join("data", "secrets.key")
}
