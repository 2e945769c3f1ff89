// Package httpapi serves the hub's JSON API under /api/v1 with the standard
// library's router: one route table, handlers as methods on Server, errors
// mapped to HTTP in one function.
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"github.com/rs/cors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/notify"
)

// Database is what the health check needs to know about the store.
type Database interface {
	Ping(ctx context.Context) error
	// ProbeWrite commits a tiny write, so health knows writes succeed.
	ProbeWrite(ctx context.Context) error
	EngineName() string
	SchemaVersion(ctx context.Context) (int64, error)
}

// Store is everything the API reads and writes.
type Store interface {
	Database
	homelabcmd.ServerStore
	homelabcmd.ServiceStore
	ServerOverviews(ctx context.Context) ([]*homelabcmd.ServerOverview, error)
	LatestMetrics(ctx context.Context, serverID string) (*homelabcmd.MetricsSample, error)
	MetricsBetween(ctx context.Context, serverID string, from, to time.Time) ([]homelabcmd.MetricPoint, error)
	MetricsTier(ctx context.Context, serverID, tier string, from, to time.Time) ([]homelabcmd.MetricPoint, error)
	ServiceUptime(ctx context.Context, serverID, name string, since time.Time) (*float64, error)
	HourlyCPU(ctx context.Context, serverID string, from time.Time) (map[string][]homelabcmd.HourCPU, error)
	// DailyCosts returns the daily cost snapshots of [fromDay, toDay] by
	// server and day.
	DailyCosts(ctx context.Context, serverID, fromDay, toDay string) (map[string]map[string]homelabcmd.DailyCost, error)
	AuthStore
	UserStore
	RegistrationStore
	ActionStore
	ContainerStore
	AlertingStore
	WindowStore
	InventoryStore
	SettingsStore
	CheckStore
	PackageStore
}

// Engine is the hub's use cases (package hub): everything that writes
// with consequences (alerts, notifications, actions, live events).
type Engine interface {
	Ingest(ctx context.Context, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error)
	CreateRestart(ctx context.Context, serverID, service, actor string) (*homelabcmd.Action, error)
	CreateUnitAction(ctx context.Context, serverID, actionType, name, actor string) (*homelabcmd.Action, error)
	UpdateExpectedUnit(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string, upd homelabcmd.ExpectedServiceUpdate) (*homelabcmd.ExpectedService, error)
	DeleteExpectedUnit(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string) error
	CreateUpgrade(ctx context.Context, serverID, actor string) (*homelabcmd.Action, error)
	CreatePackApply(ctx context.Context, serverID, pack, actor string) (*homelabcmd.Action, error)
	CreateAgentCommand(ctx context.Context, serverID, command, actor string) (*homelabcmd.Action, error)
	CreateAction(ctx context.Context, serverID, actionType, service, actor string) (*homelabcmd.Action, error)
	ApproveAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error)
	RejectAction(ctx context.Context, id int64, actor, reason string) (*homelabcmd.Action, error)
	CancelAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error)
	ClaimCommands(ctx context.Context, serverID string) ([]homelabcmd.PendingCommand, error)
	CompleteAction(ctx context.Context, serverID string, id int64, r homelabcmd.ActionResult) (*homelabcmd.Action, error)
	AcknowledgeAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error)
	ResolveAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error)
	Thresholds(ctx context.Context) (alerting.Thresholds, error)
	UpdateThresholds(ctx context.Context, p alerting.ThresholdsPatch) (alerting.Thresholds, []string, error)
	Pinned() map[string]alerting.Pin
	CreateChannel(ctx context.Context, c *homelabcmd.Channel) error
	UpdateChannel(ctx context.Context, id int64, upd homelabcmd.ChannelUpdate) (*homelabcmd.Channel, error)
	SetServerPaused(ctx context.Context, id string, paused bool) (*homelabcmd.Server, error)
	UpdateExpectedService(ctx context.Context, serverID, name string, upd homelabcmd.ExpectedServiceUpdate) (*homelabcmd.ExpectedService, error)
	DeleteExpectedService(ctx context.Context, serverID, name string) error
	CreateMaintenanceWindow(ctx context.Context, w *homelabcmd.MaintenanceWindow) error
	DeleteMaintenanceWindow(ctx context.Context, id int64) error
	CheckEngine
}

// AuthStore keeps credentials, only ever as hashes.
type AuthStore interface {
	VerifyAgentToken(ctx context.Context, guid, token string) (serverID string, err error)
	IssueAgentToken(ctx context.Context, serverID, guid string) (string, error)
	FindAgentCredential(ctx context.Context, guid string) (*homelabcmd.AgentCredential, error)
	RotateAgentToken(ctx context.Context, guid string) (string, error)
	RevokeAgentToken(ctx context.Context, guid string) error
}

// Server is the hub's HTTP server.
type Server struct {
	Addr    string
	Version string

	// ExternalURL is how agents reach the hub; "" derives it from requests.
	ExternalURL string
	// SSO is the OpenID provider users may sign in with; nil: none.
	SSO SingleSignOn
	// Observer counts heartbeats; a no-op unless set.
	Observer IngestObserver
	// LANURL is how other machines reach the hub when no ExternalURL is
	// set (e.g. http://192.168.1.10:8080): install commands created from a
	// dashboard opened on the hub itself (127.0.0.1) use it.
	LANURL string
	// AgentsDir holds the agent binaries served to agents
	// (homelabcmd-agent-linux-<arch>); "" is the folder of the executable.
	AgentsDir string
	agents    agentFiles
	// TLSCertFile and TLSKeyFile, when set, make the server speak HTTPS,
	// reloading the pair when the files change.
	TLSCertFile, TLSKeyFile string
	// Listener, when set, is the bound socket Open serves on instead of
	// listening on Addr (the hub binds before it stores any secret).
	Listener net.Listener

	// TrustedProxies are the addresses whose X-Forwarded-Proto, -Host and
	// -For headers are believed; nobody else's are.
	TrustedProxies []netip.Prefix
	// CORSOrigins may call the API from their pages with X-API-Key (the
	// original allowed configured origins); no cookies. Empty: no CORS.
	CORSOrigins []string
	// MaxConns and MaxConnsPerIP cap open connections (see listener.go);
	// zero means the defaults, a negative MaxConnsPerIP no per-address cap.
	MaxConns, MaxConnsPerIP int
	// WriteTimeout bounds writing a response; the event stream, the
	// agents' command long-poll and the binary download extend their own.
	WriteTimeout time.Duration
	// NotifyGuard decides which addresses a channel test may reach.
	NotifyGuard *notify.Guard
	// Agentless serves machines without an agent (SSH scans, credentials,
	// discovery, commands); NewServer makes one when the store can keep
	// its data. Set its KeyFile before the first request.
	Agentless *agentless.Service

	// shutdown closes when the server stops, ending long-lived responses
	// (event streams, command long-polls) that Shutdown would wait for.
	shutdown chan struct{}

	authLimiter *authLimiter
	health      healthCache

	store      Store
	engine     Engine
	apiKeyHash string
	keyStore   *storedKey
	events     *live.Broker
	logger     *slog.Logger
	started    time.Time
	ln         net.Listener
	srv        *http.Server
	mux        *http.ServeMux
	table      []Route
}

// NewServer returns a server that reads store and acts through engine;
// apiKeyHash is the SHA-256 of the operator API key; events is the broker
// the store delivers committed events to (dashboards and command
// long-polls subscribe). Call Open to listen.
func NewServer(store Store, engine Engine, apiKeyHash string, events *live.Broker, logger *slog.Logger) *Server {
	if events == nil {
		events = live.NewBroker()
	}
	s := &Server{shutdown: make(chan struct{}), store: store, engine: engine, apiKeyHash: apiKeyHash, events: events, logger: logger, started: time.Now(),
		mux: http.NewServeMux(), Version: homelabcmd.Version, Observer: noObserver{}, authLimiter: newAuthLimiter(DefaultAuthLimit),
		WriteTimeout: DefaultWriteTimeout}
	if st, ok := store.(agentless.Store); ok {
		s.Agentless = agentless.New(st, "", logger)
		if d, ok := engine.(agentless.DriftReporter); ok {
			s.Agentless.Drift = d
		}
		s.Agentless.Agents = agentCommands{s}
	}
	s.routes()
	return s
}

// Handler is the root handler, for tests that use httptest.
func (s *Server) Handler() http.Handler { return s.handler() }

// handler is the mux, behind CORS when origins are configured.
func (s *Server) handler() http.Handler {
	if len(s.CORSOrigins) == 0 {
		return s.mux
	}
	return cors.New(cors.Options{
		AllowedOrigins: s.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch},
		AllowedHeaders: []string{"Content-Type", "X-API-Key", "Authorization", "Last-Event-ID"},
		// No cookies: a page elsewhere never rides the dashboard session.
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler(s.mux)
}

// Server timeouts. A request's header must arrive within 10 s and the whole
// request within 30 s (a half-sent body is dropped then); a response must be
// written within DefaultWriteTimeout unless its handler extends it.
const (
	readHeaderTimeout   = 10 * time.Second
	readTimeout         = 30 * time.Second
	idleTimeout         = 120 * time.Second
	maxHeaderBytes      = 64 << 10
	DefaultWriteTimeout = 60 * time.Second
)

// Open binds the listener synchronously (":0" picks a free port) and serves
// in the background, with the connection caps and timeouts above.
func (s *Server) Open() error {
	ln := s.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.Addr); err != nil {
			return err
		}
	}
	if s.TLSCertFile != "" || s.TLSKeyFile != "" {
		certs, err := newCertReloader(s.TLSCertFile, s.TLSKeyFile, s.logger)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	}
	total, perIP := s.MaxConns, s.MaxConnsPerIP
	if total <= 0 {
		total = DefaultMaxConns
	}
	if perIP == 0 {
		perIP = DefaultMaxConnsPerIP
	}
	s.ln = newLimitListener(ln, total, perIP, func(a netip.Addr) bool { return localhost(a) || s.trustedAddr(a) })
	s.srv = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.srv.RegisterOnShutdown(func() { close(s.shutdown) })
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL is the base URL the server listens on, with a loopback host when it
// listens on every address.
func (s *Server) URL() string {
	ln := s.listener()
	if ln == nil {
		return ""
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if s.TLSCertFile != "" {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, itoa(addr.Port))
}

// Port is the bound port.
func (s *Server) Port() int { return s.listener().Addr().(*net.TCPAddr).Port }

// listener is the serving listener, or before Open the one given.
func (s *Server) listener() net.Listener {
	if s.ln != nil {
		return s.ln
	}
	return s.Listener
}

// Close stops accepting requests and waits for running ones until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

// localhost reports 127.0.0.1 or ::1: the hub's own machine, where a
// reverse proxy or loadgen opens many connections. (The rest of 127/8 is
// not exempt, which lets tests play remote clients on loopback.)
func localhost(a netip.Addr) bool {
	return a == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || a == netip.IPv6Loopback()
}
