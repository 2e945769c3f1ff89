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
	Ingest(ctx context.Context, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error)
	ServerOverviews(ctx context.Context) ([]*homelabcmd.ServerOverview, error)
	LatestMetrics(ctx context.Context, serverID string) (*homelabcmd.MetricsSample, error)
	MetricsBetween(ctx context.Context, serverID string, from, to time.Time) ([]homelabcmd.MetricPoint, error)
	MetricsTier(ctx context.Context, serverID, tier string, from, to time.Time) ([]homelabcmd.MetricPoint, error)
	ServiceUptime(ctx context.Context, serverID, name string, since time.Time) (*float64, error)
	AuthStore
	RegistrationStore
	ActionStore
	AlertingStore
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
	// RestartPolicy holds the restart guard rails.
	RestartPolicy homelabcmd.RestartPolicy
	// Observer counts heartbeats; a no-op unless set.
	Observer IngestObserver

	// shutdown closes when the server stops, ending long-lived responses
	// (event streams, command long-polls) that Shutdown would wait for.
	shutdown chan struct{}

	store      Store
	apiKeyHash string
	events     *live.Broker
	logger     *slog.Logger
	started    time.Time
	ln         net.Listener
	srv        *http.Server
	mux        *http.ServeMux
}

// NewServer returns a server over store; apiKeyHash is the SHA-256 of the
// operator API key. Call Open to listen.
func NewServer(store Store, apiKeyHash string, events *live.Broker, logger *slog.Logger) *Server {
	if events == nil {
		events = live.NewBroker()
	}
	s := &Server{shutdown: make(chan struct{}), store: store, apiKeyHash: apiKeyHash, events: events, logger: logger, started: time.Now(),
		mux: http.NewServeMux(), Version: homelabcmd.Version, RestartPolicy: homelabcmd.DefaultRestartPolicy, Observer: noObserver{}}
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
