package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// IngestObserver counts heartbeats for the hub's own metrics.
type IngestObserver interface {
	HeartbeatStored(auth string, took time.Duration)
	HeartbeatRejected(status int)
}

type noObserver struct{}

func (noObserver) HeartbeatStored(string, time.Duration) {}
func (noObserver) HeartbeatRejected(int)                 {}

// SetMetrics serves h at GET /metrics, behind "Authorization: Bearer token"
// when token is not empty (Prometheus' bearer_token setting).
func (s *Server) SetMetrics(h http.Handler, token string) {
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || !homelabcmd.SecretMatches(strings.TrimSpace(got), homelabcmd.HashSecret(token)) {
				s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Missing or wrong bearer token for /metrics"))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
