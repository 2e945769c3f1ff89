package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/httpapi"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// loggedServer is a server over a fresh SQLite store whose log is kept.
func loggedServer(t *testing.T, store func(*sqlstore.DB) httpapi.Store) (*httpapi.Server, *syncBuffer, *sqlstore.DB) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), storetest.NewURL(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var st httpapi.Store = db
	if store != nil {
		st = store(db)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return httpapi.NewServer(st, hub.New(db, nil, hub.Options{}), homelabcmd.HashSecret(testKey), nil, logger), logs, db
}

func serve(h http.Handler, method, path, remote string, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if remote != "" {
		req.RemoteAddr = remote
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Finding 8: the configured key never reaches the log.
func TestKeyNeverLogged(t *testing.T) {
	s, logs, _ := loggedServer(t, nil)
	serve(s.Handler(), "GET", "/api/v1/servers", "", "", "X-API-Key", "wrong-key-that-is-long-enough")
	serve(s.Handler(), "POST", "/api/v1/auth/login", "", `{"api_key":"`+testKey+`"}`)
	if strings.Contains(logs.String(), testKey) || strings.Contains(logs.String(), "wrong-key-that") {
		t.Fatalf("a key is in the log:\n%s", logs)
	}
}

// Finding 8: no rate limit and no log line for failed logins.
func TestFailedAuthIsLimitedAndLogged(t *testing.T) {
	s, logs, _ := loggedServer(t, nil)
	h := s.Handler()
	const attacker, other = "203.0.113.7:4000", "198.51.100.2:4000"
	for i := range httpapi.DefaultAuthLimit.Burst {
		if rec := serve(h, "POST", "/api/v1/auth/login", attacker, `{"api_key":"guess-`+string(rune('a'+i))+`"}`); rec.Code != 401 {
			t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	for _, try := range []func() *httptest.ResponseRecorder{
		func() *httptest.ResponseRecorder {
			return serve(h, "POST", "/api/v1/auth/login", attacker, `{"api_key":"`+testKey+`"}`)
		},
		func() *httptest.ResponseRecorder {
			return serve(h, "GET", "/api/v1/servers", attacker, "", "X-API-Key", "another-guess")
		},
		func() *httptest.ResponseRecorder {
			return serve(h, "POST", "/api/v1/agents/heartbeat", attacker, `{}`, "X-Agent-Token", "x", "X-Server-GUID", "y")
		},
	} {
		rec := try()
		if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("after %d failures: %d, Retry-After %q: %s", httpapi.DefaultAuthLimit.Burst, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	// Another client is not affected; right credentials take no token.
	if rec := serve(h, "POST", "/api/v1/auth/login", other, `{"api_key":"`+testKey+`"}`); rec.Code != 204 {
		t.Fatalf("another client: %d", rec.Code)
	}
	for range 20 {
		if rec := serve(h, "GET", "/api/v1/servers", other, "", "X-API-Key", testKey); rec.Code != 200 {
			t.Fatalf("good key: %d", rec.Code)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "authentication failed") || !strings.Contains(out, "client_ip=203.0.113.7") ||
		!strings.Contains(out, "authentication rate limit reached") {
		t.Fatalf("log:\n%s", out)
	}
}

// Finding 8: /metrics was open to everyone by default and rendered at
// every scrape.
func TestMetricsBoundAndCached(t *testing.T) {
	s, _, _ := loggedServer(t, nil)
	var renders atomic.Int32
	s.SetMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renders.Add(1)
		w.Write([]byte("homelabcmd_up 1\n"))
	}), "scrape-token-0123456789", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	h := s.Handler()
	if rec := serve(h, "GET", "/metrics", "192.0.2.9:5000", ""); rec.Code != 401 {
		t.Fatalf("LAN scrape without the token: %d", rec.Code)
	}
	if rec := serve(h, "GET", "/metrics", "192.0.2.9:5000", "", "Authorization", "Bearer wrong"); rec.Code != 401 {
		t.Fatalf("wrong token: %d", rec.Code)
	}
	for _, r := range [][]string{{"192.0.2.9:5000", "Authorization", "Bearer scrape-token-0123456789"}, {"127.0.0.1:5000"}, {"127.0.0.1:5001"}} {
		if rec := serve(h, "GET", "/metrics", r[0], "", r[1:]...); rec.Code != 200 || rec.Body.String() != "homelabcmd_up 1\n" {
			t.Fatalf("%v: %d %s", r, rec.Code, rec.Body)
		}
	}
	if n := renders.Load(); n != 1 {
		t.Fatalf("3 scrapes within %v rendered %d times, want 1", httpapi.MetricsCacheFor, n)
	}
	// Without a token only the allowed addresses may scrape.
	s2, _, _ := loggedServer(t, nil)
	s2.SetMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	if rec := serve(s2.Handler(), "GET", "/metrics", "192.0.2.9:5000", ""); rec.Code != 403 {
		t.Fatalf("no token, LAN address: %d", rec.Code)
	}
}

// failingWrites is a store whose writes fail (a full disk, a read-only
// replica) while reads work.
type failingWrites struct{ *sqlstore.DB }

func (failingWrites) ProbeWrite(context.Context) error {
	return errors.New("disk I/O error: no space left on device")
}

// Finding 8: health said healthy while every write failed.
func TestHealthReflectsWrites(t *testing.T) {
	s, _, _ := loggedServer(t, func(db *sqlstore.DB) httpapi.Store { return failingWrites{db} })
	rec := serve(s.Handler(), "GET", "/api/v1/system/health", "", "")
	if !strings.Contains(rec.Body.String(), `"status":"degraded"`) || !strings.Contains(rec.Body.String(), `"database_writable":false`) {
		t.Fatalf("health with failing writes: %s", rec.Body)
	}
	ok, _, _ := loggedServer(t, nil)
	rec = serve(ok.Handler(), "GET", "/api/v1/system/health", "", "")
	if !strings.Contains(rec.Body.String(), `"status":"healthy"`) || !strings.Contains(rec.Body.String(), `"database_writable":true`) {
		t.Fatalf("health: %s", rec.Body)
	}
}

type countingObserver struct{ rejected []int }

func (o *countingObserver) HeartbeatStored(string, time.Duration) {}
func (o *countingObserver) HeartbeatRejected(status int)          { o.rejected = append(o.rejected, status) }

// Finding 8: a client that went away was logged and counted as a 500.
func TestClientGoneIsNotAServerError(t *testing.T) {
	s, logs, _ := loggedServer(t, nil)
	obs := &countingObserver{}
	s.Observer = obs
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, path := range []string{"/api/v1/servers", "/api/v1/agents/heartbeat"} {
		method, body := "GET", ""
		if strings.HasSuffix(path, "heartbeat") {
			method, body = "POST", `{"server_id":"x","hostname":"x","timestamp":"2026-01-18T10:30:00Z"}`
		}
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		req.Header.Set("X-API-Key", testKey)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != 499 {
			t.Fatalf("%s: %d", path, rec.Code)
		}
	}
	if len(obs.rejected) != 1 || obs.rejected[0] != 499 {
		t.Fatalf("heartbeat counted as %v, want [499]", obs.rejected)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("logged as an error:\n%s", logs)
	}
}
