package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/httpapi"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

const testKey = "test-operator-key-0123456789"

// api is a hub's router over a real, migrated database.
type api struct {
	t      *testing.T
	srv    *httptest.Server
	db     *sqlstore.DB
	engine *hub.Engine
}

func forEachAPI(t *testing.T, fn func(t *testing.T, a *api)) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		s, engine := newServer(db)
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); db.Close() })
		fn(t, &api{t: t, srv: hs, db: db, engine: engine})
	})
}

// newServer wires the API as the hub does: the engine over db, and one
// broker that db delivers committed events to.
func newServer(db *sqlstore.DB) (*httpapi.Server, *hub.Engine) {
	events := live.NewBroker()
	db.Events = events
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine := hub.New(db, events, hub.Options{Logger: logger, NotifyGuard: notify.NewGuard(true)}) // receivers are on loopback
	s := httpapi.NewServer(db, engine, homelabcmd.HashSecret(testKey), events, logger)
	s.NotifyGuard = notify.NewGuard(true)
	return s, engine
}

func newHandler(db *sqlstore.DB) http.Handler {
	s, _ := newServer(db)
	return s.Handler()
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.Status, r.Body)
	}
	return m
}

// do sends a request; body may be a string (sent raw) or a value (JSON).
func (a *api) do(method, path string, body any, headers ...string) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// op sends an operator request with the API key.
func (a *api) op(method, path string, body any) response {
	a.t.Helper()
	return a.do(method, path, body, "X-API-Key", testKey)
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
}

// expectFieldError checks the 422 list shape and the field it names.
func expectFieldError(t *testing.T, r response, loc string) {
	t.Helper()
	expectStatus(t, r, 422)
	var body struct {
		Detail []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Detail) == 0 {
		t.Fatalf("not a validation error body: %s", r.Body)
	}
	var parts []string
	for _, p := range body.Detail[0].Loc {
		parts = append(parts, strings.TrimSuffix(strings.TrimPrefix(jsonString(p), `"`), `"`))
	}
	if got := strings.Join(parts, "."); got != loc || body.Detail[0].Msg == "" {
		t.Fatalf("loc %q msg %q, want loc %q", got, body.Detail[0].Msg, loc)
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func expectCode(t *testing.T, r response, status int, code string) {
	t.Helper()
	expectStatus(t, r, status)
	var body struct {
		Detail struct{ Code, Message string } `json:"detail"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Detail.Code != code || body.Detail.Message == "" {
		t.Fatalf("want detail.code %s with a message, got %s", code, r.Body)
	}
}

func hb(serverID string, ts time.Time, services ...map[string]any) map[string]any {
	return map[string]any{"server_id": serverID, "hostname": serverID + ".lan", "timestamp": ts.Format(time.RFC3339Nano),
		"metrics":  map[string]any{"cpu_percent": 12.5, "memory_percent": 41.0, "disk_percent": 63.2, "reboot_required": false},
		"services": services}
}

func svc(name, status string) map[string]any {
	m := map[string]any{"name": name, "status": status, "pid": nil, "memory_mb": nil, "cpu_percent": nil}
	if status == "running" {
		m["pid"], m["memory_mb"], m["cpu_percent"] = 1234, 512.25, 2.1
	}
	return m
}
