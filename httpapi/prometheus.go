package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
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

// MetricsCacheFor is how long one rendering of /metrics is served again:
// the fleet collector reads the database, and several Prometheus servers
// (or a short scrape interval) must not multiply that work; 8 scrape loops
// cut a 500/s ingest to 355/s before this cache.
const MetricsCacheFor = 10 * time.Second

// SetMetrics serves h at GET /metrics to a caller with "Authorization:
// Bearer token" (when token is set) or from an address in allow, and
// answers the rest 401 (wrong token) or 403. The rendered answer is kept
// for MetricsCacheFor per response format.
func (s *Server) SetMetrics(h http.Handler, token string, allow []netip.Prefix) {
	cache := &metricsCache{h: h, entries: map[string]*metricsEntry{}}
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.authThrottled(w, r) {
			return
		}
		got, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case token != "" && hasBearer:
			if !homelabcmd.SecretMatches(strings.TrimSpace(got), homelabcmd.HashSecret(token)) {
				s.authFailed(r, "metrics_token")
				s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Wrong bearer token for /metrics"))
				return
			}
		case containsAddr(allow, s.clientIP(r)):
		case token != "":
			s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Missing bearer token for /metrics"))
			return
		default:
			s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EFORBIDDEN,
				"/metrics answers only the addresses in metrics_allow (default: this machine) or a scraper with metrics_token"))
			return
		}
		cache.serve(w, r)
	})
}

func containsAddr(list []netip.Prefix, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// metricsCache renders /metrics at most once per MetricsCacheFor for each
// format a scraper asks for (Accept, gzip or not).
type metricsCache struct {
	h       http.Handler
	mu      sync.Mutex
	entries map[string]*metricsEntry
}

type metricsEntry struct {
	at     time.Time
	status int
	header http.Header
	body   []byte
}

func (c *metricsCache) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Accept") + "|" + strconv.FormatBool(strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"))
	c.mu.Lock()
	defer c.mu.Unlock() // one rendering at a time; concurrent scrapes share it
	e := c.entries[key]
	if e == nil || time.Since(e.at) >= MetricsCacheFor {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, r)
		e = &metricsEntry{at: time.Now(), status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		if len(c.entries) > 16 {
			clear(c.entries)
		}
		c.entries[key] = e
	}
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body)
}
