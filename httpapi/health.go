package httpapi

import (
	"context"
	"net/http"
	"time"
)

// handleHealth answers without a key: status, version, engine and schema.
// "degraded" means the database did not answer.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status, dbState := "healthy", "connected"
	var schema any
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Warn("health check: database did not answer", "err", err)
		status, dbState = "degraded", "disconnected"
	} else if v, err := s.store.SchemaVersion(ctx); err == nil {
		schema = v
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":          status,
		"version":         s.Version,
		"uptime_seconds":  int(time.Since(s.started).Seconds()),
		"database":        dbState,
		"database_engine": s.store.EngineName(),
		"schema_version":  schema,
		"timestamp":       time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	})
}
