package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/httpapi"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// openServer runs a real listener (Open) over a fresh SQLite store; tweak
// sets fields before it listens.
func openServer(t *testing.T, tweak func(s *httpapi.Server)) (*httpapi.Server, *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, storetest.NewURL(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(db)
	s.Addr = "127.0.0.1:0"
	if tweak != nil {
		tweak(s)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.Close(ctx)
		db.Close()
	})
	return s, db
}

// rawRequest writes raw bytes to the server and returns what it answers
// within wait ("" when it answers nothing in time).
func rawRequest(t *testing.T, addr, raw string, wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	b, _ := io.ReadAll(c)
	return string(b)
}

// Finding 1: the open routes decoded up to 1 MiB before checking anything,
// and waited for a half-sent body. A declared body over 16 KiB is refused
// at once, before a byte of it is read.
func TestOpenRoutesRefuseBigBodiesBeforeReading(t *testing.T) {
	s, _ := openServer(t, nil)
	addr := strings.TrimPrefix(s.URL(), "http://")
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/agents/register/claim"} {
		raw := "POST " + path + " HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"api_key\":\""
		got := rawRequest(t, addr, raw, 2*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 413") {
			t.Errorf("%s with a half-sent 1 MiB body answered %q within 2 s, want 413 at once", path, firstLine(got))
		}
	}
	// A chunked body (no length) is cut at 16 KiB.
	big := `{"api_key":"` + strings.Repeat("a", 20<<10) + `"}`
	resp, err := http.Post(s.URL()+"/api/v1/auth/login", "application/json", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("20 KiB sign-in body: status %d, want 413", resp.StatusCode)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

// Finding 1: no connection limit. Past the cap, a new connection waits to
// be accepted until one closes; past the per-address cap, it is closed.
func TestConnectionCaps(t *testing.T) {
	t.Run("total", func(t *testing.T) {
		s, _ := openServer(t, func(s *httpapi.Server) { s.MaxConns = 3 })
		addr := strings.TrimPrefix(s.URL(), "http://")
		var idle []net.Conn
		for range 3 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			idle = append(idle, c)
		}
		time.Sleep(100 * time.Millisecond)
		client := &http.Client{Timeout: 500 * time.Millisecond}
		if _, err := client.Get(s.URL() + "/api/v1/system/health"); err == nil {
			t.Fatal("a fourth connection was served while three idle ones held every slot")
		}
		idle[0].Close()
		client.Timeout = 5 * time.Second
		resp, err := client.Get(s.URL() + "/api/v1/system/health")
		if err != nil {
			t.Fatalf("after one idle connection closed: %v", err)
		}
		resp.Body.Close()
		for _, c := range idle[1:] {
			c.Close()
		}
	})
}

// Finding 1: a write timeout must not cut the event stream or the agents'
// command long-poll, which answer long after the request.
func TestWriteTimeoutSparesStreams(t *testing.T) {
	s, _ := openServer(t, func(s *httpapi.Server) { s.WriteTimeout = 300 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v1/events", nil)
	req.Header.Set("X-API-Key", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan()
	time.Sleep(time.Second) // well past the write timeout
	hb := fmt.Sprintf(`{"server_id":"late","hostname":"late","timestamp":%q}`, time.Now().UTC().Format(time.RFC3339))
	r2, _ := http.NewRequest("POST", s.URL()+"/api/v1/agents/heartbeat", strings.NewReader(hb))
	r2.Header.Set("X-API-Key", testKey)
	if resp2, err := http.DefaultClient.Do(r2); err != nil || resp2.StatusCode != 200 {
		t.Fatalf("heartbeat: %v %v", err, resp2)
	}
	got := false
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "event: server.updated") {
			got = true
			break
		}
	}
	if !got {
		t.Fatalf("the event stream ended after the write timeout: %v", lines.Err())
	}

	// The long-poll answers after 1 s, past the 300 ms write timeout.
	r3, _ := http.NewRequest("GET", s.URL()+"/api/v1/agents/commands?wait=1&server_id=late", nil)
	r3.Header.Set("X-API-Key", testKey)
	resp3, err := http.DefaultClient.Do(r3)
	if err != nil {
		t.Fatalf("long-poll cut by the write timeout: %v", err)
	}
	body, err := io.ReadAll(resp3.Body)
	resp3.Body.Close()
	if err != nil || resp3.StatusCode != 200 || !strings.Contains(string(body), `"commands"`) {
		t.Fatalf("long-poll: %d %s %v", resp3.StatusCode, body, err)
	}
}

// Finding 2: X-Forwarded-Host from anyone was rendered unquoted into the
// install.sh piped to `sudo sh`.
func TestInstallScriptCannotBeInjected(t *testing.T) {
	s, _ := openServer(t, func(s *httpapi.Server) {
		s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.9.9.9/32")} // not the test client
	})
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	evil := `x"; touch ` + marker + `; echo "`
	for _, hdr := range [][2]string{{"X-Forwarded-Host", evil}, {"X-Forwarded-Host", "$(touch " + marker + ")"}} {
		req, _ := http.NewRequest("GET", s.URL()+"/api/v1/agents/register/install.sh", nil)
		req.Header.Set(hdr[0], hdr[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		script, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("install.sh Cache-Control %q, want no-store", cc)
		}
		if strings.Contains(string(script), "touch") {
			t.Errorf("install.sh carries the forged host:\n%s", script)
		}
		runHubLine(t, string(script))
	}
	// A forged Host header (not a proxy's) is refused as well.
	got := rawRequest(t, strings.TrimPrefix(s.URL(), "http://"),
		"GET /api/v1/agents/register/install.sh HTTP/1.1\r\nHost: a$(touch${IFS}"+marker+")b\r\nConnection: close\r\n\r\n", 2*time.Second)
	if strings.Contains(got, "touch") {
		t.Errorf("install.sh carries the forged Host:\n%s", got)
	} else if strings.HasPrefix(got, "HTTP/1.1 200") {
		_, body, _ := strings.Cut(got, "\r\n\r\n")
		runHubLine(t, body)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the install script ran an injected command")
	}
}

// runHubLine runs the script's HUB= line in sh and checks HUB is a plain URL.
func runHubLine(t *testing.T, script string) {
	t.Helper()
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(line, "HUB=") {
			out, err := exec.Command("sh", "-c", line+`; printf %s "$HUB"`).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "http://") || strings.ContainsAny(string(out), "$`\"'; ") {
				t.Errorf("HUB line %q gives %q (%v)", line, out, err)
			}
			return
		}
	}
	t.Errorf("no HUB= line in:\n%s", script)
}

// Finding 2: X-Forwarded-* is believed only from a trusted proxy.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted string
		want    string
	}{
		{"untrusted peer", "10.9.9.9/32", "HUB='http://127.0.0.1:"},
		{"trusted proxy", "127.0.0.1/32", "HUB='https://hub.example.org'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openServer(t, func(s *httpapi.Server) { s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(tc.trusted)} })
			req, _ := http.NewRequest("GET", s.URL()+"/api/v1/agents/register/install.sh", nil)
			req.Header.Set("X-Forwarded-Host", "hub.example.org")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			script, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(script), tc.want) {
				t.Fatalf("want %s in:\n%s", tc.want, script)
			}
		})
	}
}

// Finding 4: another app on the same site queued restarts with a no-cors
// fetch or a text/plain form; every route took any Content-Type; approving
// through the same forged request undid maintenance mode's approval step.
func TestCrossSiteRequestsRefused(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas"}), 201)
		cookie := signIn(t, a)
		withCookie := func(method, path string, body any, headers ...string) response {
			return a.do(method, path, body, append([]string{"Cookie", cookie}, headers...)...)
		}
		restart := "/api/v1/servers/nas/services/plex/restart"
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "same-site"},       // a sibling subdomain
			{"Sec-Fetch-Site", "cross-site"},      // anywhere else
			{"Origin", "http://127.0.0.1:1"},      // another port, older browser
			{"Origin", "http://evil.example.org"}, // older browser, other site
		} {
			r := withCookie("POST", restart, nil, h...)
			expectCode(t, r, 403, "FORBIDDEN")
		}
		// A text/plain body (a form, or a no-cors fetch) is refused.
		r := withCookie("PUT", "/api/v1/config/thresholds", `{"disk":{"high_percent":50}}`, "Content-Type", "text/plain")
		expectCode(t, r, 415, "UNSUPPORTED_MEDIA_TYPE")
		// The dashboard itself (same origin, JSON) works.
		expectStatus(t, withCookie("PUT", "/api/v1/config/thresholds", map[string]any{"disk": map[string]any{"high_percent": 81}}, "Sec-Fetch-Site", "same-origin"), 200)
		// Scripts with the key are not browsers: any origin header, any type.
		expectStatus(t, a.do("PUT", "/api/v1/config/thresholds", `{"disk":{"high_percent":82}}`, "X-API-Key", testKey, "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site"), 200)

		// Maintenance mode: the restart waits for approval, and a forged
		// approval (same-site page, the operator's cookie) cannot give it.
		expectStatus(t, a.op("PUT", "/api/v1/servers/nas/pause", nil), 200)
		act := a.op("POST", restart, nil).json(t)
		if act["status"] != "pending" {
			t.Fatalf("restart in maintenance: %v", act)
		}
		id := jsonString(act["action_id"])
		expectCode(t, withCookie("POST", "/api/v1/actions/"+id+"/approve", nil, "Sec-Fetch-Site", "same-site"), 403, "FORBIDDEN")
		expectCode(t, withCookie("POST", "/api/v1/actions/"+id+"/approve", "", "Content-Type", "text/plain", "Origin", "http://127.0.0.1:1"), 403, "FORBIDDEN")
		if got := a.op("GET", "/api/v1/actions/"+id, nil).json(t); got["status"] != "pending" {
			t.Fatalf("a forged approval changed the action: %v", got)
		}
		approved := withCookie("POST", "/api/v1/actions/"+id+"/approve", nil, "Sec-Fetch-Site", "same-origin").json(t)
		if approved["status"] != "approved" || approved["approved_by"] != "api-key" { // a session opened with the key acts as "api-key"
			t.Fatalf("the operator's own approval: %v", approved)
		}
	})
}

// signIn exchanges the key for a session cookie and returns "name=value".
func signIn(t *testing.T, a *api) string {
	t.Helper()
	r := a.do("POST", "/api/v1/auth/login", map[string]any{"api_key": testKey})
	expectStatus(t, r, 204)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "homelabcmd_session" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// Finding 5: sessions outlived a change of the operator key, and the
// cookie had no Secure flag behind a TLS-terminating proxy.
func TestSessionsEndWithTheKeyAndAreSecureBehindTLS(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		cookie := signIn(t, a)
		expectStatus(t, a.do("GET", "/api/v1/auth/session", nil, "Cookie", cookie), 200)
		// The same database served with another key: the old session is over.
		logger := slog.New(slog.DiscardHandler)
		rotated := httpapi.NewServer(a.db, a.engine, homelabcmd.HashSecret("a-new-operator-key-0123456789"), nil, logger)
		req, _ := http.NewRequest("GET", "/api/v1/auth/session", nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		rotated.Handler().ServeHTTP(rec, req)
		if rec.Code != 401 {
			t.Fatalf("a session made with the old key answers %d after rotation, want 401", rec.Code)
		}
	})
	for _, tc := range []struct {
		name, trusted string
		secure        bool
	}{{"direct http", "", false}, {"untrusted proxy header", "10.9.9.9/32", false}, {"trusted TLS proxy", "127.0.0.1/32", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openServer(t, func(s *httpapi.Server) {
				if tc.trusted != "" {
					s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(tc.trusted)}
				}
			})
			req, _ := http.NewRequest("POST", s.URL()+"/api/v1/auth/login", strings.NewReader(`{"api_key":"`+testKey+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cs := resp.Cookies()
			if resp.StatusCode != 204 || len(cs) != 1 || cs[0].Secure != tc.secure {
				t.Fatalf("status %d cookies %v, want Secure=%v", resp.StatusCode, cs, tc.secure)
			}
		})
	}
}
