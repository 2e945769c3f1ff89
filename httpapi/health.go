package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// healthProbeEvery is how long a health verdict is reused: the check writes
// to the database, and a monitor polling health must not become load.
const healthProbeEvery = 10 * time.Second

// healthCache keeps the last database verdict.
type healthCache struct {
	mu       sync.Mutex
	at       time.Time
	pingErr  error
	writeErr error
	schema   any
}

// check returns the database's state, probing at most every
// healthProbeEvery: a ping, then a committed write (a database that
// answers but cannot write, e.g. a full disk or a read-only replica, is not
// healthy).
func (s *Server) checkDatabase(ctx context.Context) (pingErr, writeErr error, schema any) {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && time.Since(h.at) < healthProbeEvery {
		return h.pingErr, h.writeErr, h.schema
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	h.pingErr, h.writeErr, h.schema = s.store.Ping(ctx), nil, nil
	if h.pingErr == nil {
		h.writeErr = s.store.ProbeWrite(ctx)
		if v, err := s.store.SchemaVersion(ctx); err == nil {
			h.schema = v
		}
	}
	if h.pingErr != nil {
		s.logger.Warn("health check: database did not answer", "err", h.pingErr)
	} else if h.writeErr != nil {
		s.logger.Warn("health check: database refuses writes", "err", h.writeErr)
	}
	h.at = time.Now()
	return h.pingErr, h.writeErr, h.schema
}

// handleHealth answers without a key: status, version, engine and schema.
// "degraded" means the database did not answer or refused a write
// (database_writable false); the status code stays 200 as in the contract.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	pingErr, writeErr, schema := s.checkDatabase(r.Context())
	status, dbState := "healthy", "connected"
	if pingErr != nil {
		status, dbState = "degraded", "disconnected"
	} else if writeErr != nil {
		status = "degraded"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":            status,
		"version":           s.Version,
		"uptime_seconds":    int(time.Since(s.started).Seconds()),
		"database":          dbState,
		"database_writable": pingErr == nil && writeErr == nil,
		"database_engine":   s.store.EngineName(),
		"schema_version":    schema,
		"timestamp":         time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	})
}
