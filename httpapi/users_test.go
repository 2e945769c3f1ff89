package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// cookieOf returns the session cookie a response set ("" when none).
func cookieOf(r response) string {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "homelabcmd_session" && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

func TestFirstRunSetupAndPasswordLogin(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		if got := a.do("GET", "/api/v1/auth/setup", nil).json(t); got["needed"] != true {
			t.Fatalf("setup %v", got)
		}
		// Bad input is a clear 422 and creates nothing.
		for _, tc := range []struct {
			name string
			body any
			loc  string
		}{
			{"short password", map[string]any{"username": "alice", "password": "short"}, "body.password"},
			{"no password", map[string]any{"username": "alice"}, "body.password"},
			{"bad name", map[string]any{"username": "Alice Smith", "password": "long enough pw"}, "body.username"},
			{"NUL in name", map[string]any{"username": "al\x00ice", "password": "long enough pw"}, "body.username"},
			{"password not a string", map[string]any{"username": "alice", "password": 12345678901}, "body.password"},
		} {
			t.Run(tc.name, func(t *testing.T) { expectFieldError(t, a.do("POST", "/api/v1/auth/setup", tc.body), tc.loc) })
		}
		// What another site can make a browser send is refused.
		setupBody := `{"username":"mallory","password":"correct horse battery"}`
		expectCode(t, a.do("POST", "/api/v1/auth/setup", setupBody, "Content-Type", "text/plain"), 400, "BAD_REQUEST")
		expectCode(t, a.do("POST", "/api/v1/auth/setup", setupBody, "Sec-Fetch-Site", "cross-site"), 403, "FORBIDDEN")
		r := a.do("POST", "/api/v1/auth/setup", map[string]any{"username": "alice", "password": "correct horse battery"})
		expectStatus(t, r, 201)
		cookie := cookieOf(r)
		if cookie == "" {
			t.Fatal("setup did not sign the browser in")
		}
		me := a.do("GET", "/api/v1/auth/session", nil, "Cookie", "homelabcmd_session="+cookie).json(t)
		if me["name"] != "alice" || me["role"] != "admin" || me["kind"] != "user" {
			t.Fatalf("session %v", me)
		}
		// Setup is closed now, for good.
		expectCode(t, a.do("POST", "/api/v1/auth/setup", map[string]any{"username": "mallory", "password": "correct horse battery"}), 409, "CONFLICT")
		if got := a.do("GET", "/api/v1/auth/setup", nil).json(t); got["needed"] != false {
			t.Fatalf("setup %v", got)
		}

		for _, tc := range []struct {
			name   string
			body   any
			status int
		}{
			{"right password", map[string]any{"username": "alice", "password": "correct horse battery"}, 204},
			{"wrong password", map[string]any{"username": "alice", "password": "wrong horse battery"}, 401},
			{"unknown user", map[string]any{"username": "bob", "password": "correct horse battery"}, 401},
			{"huge password", map[string]any{"username": "alice", "password": strings.Repeat("x", 10000)}, 401},
			{"the key still works", map[string]any{"api_key": testKey}, 204},
			{"wrong key", map[string]any{"api_key": "nope"}, 401},
		} {
			t.Run("login: "+tc.name, func(t *testing.T) {
				r := a.do("POST", "/api/v1/auth/login", tc.body)
				expectStatus(t, r, tc.status)
				if (cookieOf(r) != "") != (tc.status == 204) {
					t.Fatalf("cookie %q", cookieOf(r))
				}
			})
		}
	})
}

func TestActionsRecordTheUser(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		ctx := context.Background()
		if _, err := a.db.CreateUser(ctx, "olivia", homelabcmd.RoleOperator, homelabcmd.HashPassword("olivia's password")); err != nil {
			t.Fatal(err)
		}
		r := a.do("POST", "/api/v1/auth/login", map[string]any{"username": "olivia", "password": "olivia's password"})
		expectStatus(t, r, 204)
		session := []string{"Cookie", "homelabcmd_session=" + cookieOf(r)}
		_, secret, err := a.db.CreateAPIToken(ctx, homelabcmd.APIToken{Name: "ci", Role: homelabcmd.RoleOperator, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("nas", time.Now(), svc("plex", "stopped"), svc("sonarr", "stopped"))), 200)
		expectStatus(t, a.op("PUT", "/api/v1/servers/nas/pause", nil), 200)

		for _, tc := range []struct {
			name    string
			service string
			headers []string
			actor   string
		}{
			{"a user", "plex", session, "olivia"},
			{"a token", "sonarr", []string{"X-API-Key", secret}, "token:ci"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := a.do("POST", "/api/v1/servers/nas/services/"+tc.service+"/restart", nil, tc.headers...)
				expectStatus(t, q, 201)
				id := int(q.json(t)["action_id"].(float64))
				ap := a.do("POST", fmt.Sprintf("/api/v1/actions/%d/approve", id), nil, tc.headers...)
				expectStatus(t, ap, 200)
				got := ap.json(t)
				if got["created_by"] != tc.actor || got["approved_by"] != tc.actor {
					t.Fatalf("created_by %v approved_by %v, want %s", got["created_by"], got["approved_by"], tc.actor)
				}
				events := got["events"].([]any)
				if last := events[len(events)-1].(map[string]any); last["actor"] != tc.actor {
					t.Fatalf("audit trail %v", events)
				}
			})
		}
	})
}

func TestScopedTokens(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		r := a.op("POST", "/api/v1/tokens", map[string]any{"name": "grafana", "role": "viewer", "expires_in_days": 30})
		expectStatus(t, r, 201)
		created := r.json(t)
		secret, _ := created["secret"].(string)
		tok := created["token"].(map[string]any)
		if !strings.HasPrefix(secret, "hlh_at_") || tok["created_by"] != "api-key" || tok["expires_at"] == nil || tok["role"] != "viewer" {
			t.Fatalf("created %v", created)
		}
		// The secret is shown once: the list has no secret.
		list := a.op("GET", "/api/v1/tokens", nil)
		if strings.Contains(string(list.Body), secret) || strings.Contains(string(list.Body), secret[7:]) {
			t.Fatal("the token list shows the secret")
		}
		for _, tc := range []struct {
			name   string
			body   any
			status int
			loc    string
		}{
			{"duplicate name", map[string]any{"name": "grafana", "role": "viewer"}, 409, ""},
			{"unknown role", map[string]any{"name": "x", "role": "root"}, 422, "body.role"},
			{"no name", map[string]any{"role": "viewer"}, 422, "body.name"},
			{"expiry 0 days", map[string]any{"name": "x", "role": "viewer", "expires_in_days": 0}, 422, "body.expires_in_days"},
			{"expiry too long", map[string]any{"name": "x", "role": "viewer", "expires_in_days": 100000}, 422, "body.expires_in_days"},
			{"expiry not a number", map[string]any{"name": "x", "role": "viewer", "expires_in_days": "soon"}, 422, "body.expires_in_days"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := a.op("POST", "/api/v1/tokens", tc.body)
				if tc.loc != "" {
					expectFieldError(t, r, tc.loc)
				} else {
					expectStatus(t, r, tc.status)
				}
			})
		}

		for _, tc := range []struct {
			name, method, path string
			headers            []string
			status             int
		}{
			{"viewer reads (X-API-Key)", "GET", "/api/v1/servers", []string{"X-API-Key", secret}, 200},
			{"viewer reads (Bearer)", "GET", "/api/v1/alerts", []string{"Authorization", "Bearer " + secret}, 200},
			{"viewer cannot create a server", "POST", "/api/v1/servers", []string{"X-API-Key", secret}, 403},
			{"viewer cannot mint tokens", "POST", "/api/v1/tokens", []string{"X-API-Key", secret}, 403},
			{"viewer is no agent", "POST", "/api/v1/agents/heartbeat", []string{"X-API-Key", secret}, 401},
			{"a wrong token is not tried as a cookie", "GET", "/api/v1/servers", []string{"X-API-Key", secret + "0"}, 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectStatus(t, a.do(tc.method, tc.path, nil, tc.headers...), tc.status)
			})
		}
		// The last-used time shows; deleting revokes.
		list = a.op("GET", "/api/v1/tokens", nil)
		tokens := list.json(t)["tokens"].([]any)
		if len(tokens) != 1 || tokens[0].(map[string]any)["last_used_at"] == nil {
			t.Fatalf("tokens %v", tokens)
		}
		expectStatus(t, a.op("DELETE", fmt.Sprintf("/api/v1/tokens/%v", tok["id"]), nil), 204)
		expectStatus(t, a.do("GET", "/api/v1/servers", nil, "X-API-Key", secret), 401)
		expectCode(t, a.op("DELETE", fmt.Sprintf("/api/v1/tokens/%v", tok["id"]), nil), 404, "NOT_FOUND")
		expectFieldError(t, a.op("DELETE", "/api/v1/tokens/abc", nil), "path.tkid")
	})
}

func TestUserAdminAndSessions(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		for _, tc := range []struct {
			name string
			body any
			loc  string
		}{
			{"no role", map[string]any{"username": "vic", "password": "viewer password"}, "body.role"},
			{"bad role", map[string]any{"username": "vic", "password": "viewer password", "role": "god"}, "body.role"},
			{"short password", map[string]any{"username": "vic", "password": "x", "role": "viewer"}, "body.password"},
		} {
			t.Run(tc.name, func(t *testing.T) { expectFieldError(t, a.op("POST", "/api/v1/users", tc.body), tc.loc) })
		}
		expectStatus(t, a.op("POST", "/api/v1/users", map[string]any{"username": "vic", "password": "viewer password", "role": "viewer"}), 201)
		expectStatus(t, a.op("POST", "/api/v1/users", map[string]any{"username": "ada", "password": "admin password", "role": "admin"}), 201)
		expectCode(t, a.op("POST", "/api/v1/users", map[string]any{"username": "vic", "password": "viewer password", "role": "viewer"}), 409, "CONFLICT")

		login := func(user, pw string) []string {
			r := a.do("POST", "/api/v1/auth/login", map[string]any{"username": user, "password": pw})
			expectStatus(t, r, 204)
			return []string{"Cookie", "homelabcmd_session=" + cookieOf(r)}
		}
		vic1, vic2 := login("vic", "viewer password"), login("vic", "viewer password")
		expectCode(t, a.do("POST", "/api/v1/servers/nas/services/plex/restart", nil, vic1...), 403, "FORBIDDEN")

		sessions := a.op("GET", "/api/v1/sessions", nil).json(t)
		if sessions["total"] != float64(2) {
			t.Fatalf("sessions %v", sessions)
		}
		// Sign out everywhere ends both of vic's sessions.
		r := a.do("POST", "/api/v1/auth/signout-everywhere", nil, vic1...)
		expectStatus(t, r, 200)
		if r.json(t)["ended"] != float64(2) {
			t.Fatalf("ended %s", r.Body)
		}
		expectStatus(t, a.do("GET", "/api/v1/auth/session", nil, vic2...), 401)
		expectCode(t, a.op("POST", "/api/v1/auth/signout-everywhere", nil), 400, "BAD_REQUEST")

		// An admin ends another user's sessions, or one session by id.
		vic3 := login("vic", "viewer password")
		ada := login("ada", "admin password")
		if r := a.do("POST", "/api/v1/users/vic/signout", nil, ada...); r.Status != 200 || r.json(t)["ended"] != float64(1) {
			t.Fatalf("signout %d %s", r.Status, r.Body)
		}
		expectStatus(t, a.do("GET", "/api/v1/auth/session", nil, vic3...), 401)
		list := a.do("GET", "/api/v1/sessions", nil, ada...).json(t)["sessions"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["name"] != "ada" {
			t.Fatalf("sessions %v", list)
		}
		expectStatus(t, a.op("DELETE", "/api/v1/sessions/"+list[0].(map[string]any)["id"].(string), nil), 204)
		expectStatus(t, a.do("GET", "/api/v1/auth/session", nil, ada...), 401)
		expectCode(t, a.op("DELETE", "/api/v1/sessions/nope", nil), 404, "NOT_FOUND")

		// Role changes apply at once; a password change ends sessions.
		vic4 := login("vic", "viewer password")
		expectStatus(t, a.op("PUT", "/api/v1/users/vic", map[string]any{"role": "operator"}), 200)
		me := a.do("GET", "/api/v1/auth/session", nil, vic4...).json(t)
		if me["role"] != "operator" {
			t.Fatalf("session after promotion %v", me)
		}
		expectFieldError(t, a.op("PUT", "/api/v1/users/vic", map[string]any{"password": "short"}), "body.password")
		expectStatus(t, a.op("PUT", "/api/v1/users/vic", map[string]any{"password": "another password"}), 200)
		expectStatus(t, a.do("GET", "/api/v1/auth/session", nil, vic4...), 401)
		login("vic", "another password")
		expectCode(t, a.op("PUT", "/api/v1/users/nobody", map[string]any{"role": "viewer"}), 404, "NOT_FOUND")

		// The last admin stays; others go.
		expectCode(t, a.op("PUT", "/api/v1/users/ada", map[string]any{"role": "viewer"}), 409, "CONFLICT")
		expectCode(t, a.op("DELETE", "/api/v1/users/ada", nil), 409, "CONFLICT")
		expectStatus(t, a.op("DELETE", "/api/v1/users/vic", nil), 204)
		users := a.op("GET", "/api/v1/users", nil).json(t)
		if users["total"] != float64(1) || strings.Contains(string(a.op("GET", "/api/v1/users", nil).Body), "argon2") {
			t.Fatalf("users %v", users)
		}
	})
}
