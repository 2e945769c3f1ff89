// Package httpapi serves the hub's JSON API under /api/v1 with the standard
// library's router: one route table, handlers as methods on Server, errors
// mapped to HTTP in one function.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/live"
)

// Database is what the health check needs to know about the store.
type Database interface {
	Ping(ctx context.Context) error
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
	AuthStore
	RegistrationStore
	ActionStore
	AlertingStore
	WindowStore
}

// Engine is the hub's use cases (package hub): everything that writes
// with consequences (alerts, notifications, actions, live events).
type Engine interface {
	Ingest(ctx context.Context, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error)
	CreateRestart(ctx context.Context, serverID, service, actor string) (*homelabcmd.Action, error)
	ApproveAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error)
	RejectAction(ctx context.Context, id int64, actor, reason string) (*homelabcmd.Action, error)
	CancelAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error)
	ClaimCommands(ctx context.Context, serverID string) ([]homelabcmd.PendingCommand, error)
	CompleteAction(ctx context.Context, serverID string, id int64, r homelabcmd.ActionResult) (*homelabcmd.Action, error)
	AcknowledgeAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error)
	ResolveAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error)
	Thresholds(ctx context.Context) (alerting.Thresholds, error)
	UpdateThresholds(ctx context.Context, p alerting.ThresholdsPatch) (alerting.Thresholds, []string, error)
	CreateChannel(ctx context.Context, c *homelabcmd.Channel) error
	UpdateChannel(ctx context.Context, id int64, upd homelabcmd.ChannelUpdate) (*homelabcmd.Channel, error)
	SetServerPaused(ctx context.Context, id string, paused bool) (*homelabcmd.Server, error)
	UpdateExpectedService(ctx context.Context, serverID, name string, upd homelabcmd.ExpectedServiceUpdate) (*homelabcmd.ExpectedService, error)
	DeleteExpectedService(ctx context.Context, serverID, name string) error
}

// AuthStore keeps credentials, only ever as hashes.
type AuthStore interface {
	VerifyAgentToken(ctx context.Context, guid, token string) (serverID string, err error)
	IssueAgentToken(ctx context.Context, serverID, guid string) (string, error)
	FindAgentCredential(ctx context.Context, guid string) (*homelabcmd.AgentCredential, error)
	RotateAgentToken(ctx context.Context, guid string) (string, error)
	RevokeAgentToken(ctx context.Context, guid string) error
	CreateSession(ctx context.Context, ttl time.Duration) (string, error)
	SessionValid(ctx context.Context, token string) (bool, error)
	DeleteSession(ctx context.Context, token string) error
}

// Server is the hub's HTTP server.
type Server struct {
	Addr    string
	Version string

	// ExternalURL is how agents reach the hub; "" derives it from requests.
	ExternalURL string
	// Observer counts heartbeats; a no-op unless set.
	Observer IngestObserver

	// shutdown closes when the server stops, ending long-lived responses
	// (event streams, command long-polls) that Shutdown would wait for.
	shutdown chan struct{}

	store      Store
	engine     Engine
	apiKeyHash string
	events     *live.Broker
	logger     *slog.Logger
	started    time.Time
	ln         net.Listener
	srv        *http.Server
	mux        *http.ServeMux
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
		mux: http.NewServeMux(), Version: homelabcmd.Version, Observer: noObserver{}}
	s.routes()
	return s
}

// Handler is the root handler, for tests that use httptest.
func (s *Server) Handler() http.Handler { return s.mux }

// Open binds the listener synchronously (":0" picks a free port) and serves
// in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.srv.RegisterOnShutdown(func() { close(s.shutdown) })
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL is the base URL the server listens on, with a loopback host when it
// listens on every address.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, itoa(addr.Port))
}

// Port is the bound port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Close stops accepting requests and waits for running ones until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}
