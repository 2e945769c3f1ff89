package httpapi_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/oidclogin"
	"github.com/homelabcmd/homelabcmd/oidclogin/oidctest"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// ssoBrowser is a cookie-keeping client that signs in through the test
// provider's login page and returns where it ended up.
func ssoSignIn(t *testing.T, hubURL, username, password string) (*http.Client, *url.URL) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(hubURL + "/api/v1/auth/oidc/login?next=%2Falerts")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginFormID.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("the provider's login page: %d %s", resp.StatusCode, page)
	}
	login := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err = c.PostForm(login.String(), url.Values{"id": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c, resp.Request.URL
}

// TestSingleSignOn signs in through a real OpenID provider (zitadel/oidc's
// op package, in process) on both engines: roles come from the mapped
// claim, unmapped users and local name clashes are refused, and the state
// must match.
func TestSingleSignOn(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := newServer(db)
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { hs.Close(); db.Close() })
		op := oidctest.Start(ln, hs.URL+"/api/v1/auth/oidc/callback",
			oidctest.User{Username: "Ada", Password: "ada-password", Email: "ada@example.lan"},
			oidctest.User{Username: "otto", Password: "otto-password", Email: "otto@example.lan"},
			oidctest.User{Username: "eve", Password: "eve-password", Email: "eve@example.lan"},
			oidctest.User{Username: "carol", Password: "carol-password", Email: "carol@example.lan"})
		t.Cleanup(func() { op.Close() })
		s.ExternalURL = hs.URL
		s.SSO = oidclogin.New(oidclogin.Config{Issuer: op.Issuer, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
			RoleClaim: "email", Roles: map[string]homelabcmd.Role{"ada@example.lan": homelabcmd.RoleAdmin, "otto@example.lan": homelabcmd.RoleOperator, "carol@example.lan": homelabcmd.RoleViewer}}, nil)
		if _, err := db.CreateUser(ctx, "carol", homelabcmd.RoleAdmin, "local-hash"); err != nil {
			t.Fatal(err)
		}
		a := &api{t: t, srv: hs, db: db}
		if got := a.do("GET", "/api/v1/auth/setup", nil).json(t); got["sso"] != true {
			t.Fatalf("setup %v", got)
		}

		for _, tc := range []struct {
			name, user, password string
			wantPath, wantRole   string
			wantError            string
		}{
			{"admin by claim (name lower-cased)", "Ada", "ada-password", "/alerts", "admin", ""},
			{"operator by claim", "otto", "otto-password", "/alerts", "operator", ""},
			{"again: the same account", "otto", "otto-password", "/alerts", "operator", ""},
			{"no mapped claim value", "eve", "eve-password", "/login", "", "no role on this hub"},
			{"a local account has the name", "carol", "carol-password", "/login", "", "exists already"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c, at := ssoSignIn(t, hs.URL, tc.user, tc.password)
				if at.Path != tc.wantPath || !strings.Contains(at.Query().Get("error"), tc.wantError) {
					t.Fatalf("ended at %s, want %s with error %q", at, tc.wantPath, tc.wantError)
				}
				resp, err := c.Get(hs.URL + "/api/v1/auth/session")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if tc.wantRole == "" {
					if resp.StatusCode != 401 {
						t.Fatalf("refused sign-in has a session: %d %s", resp.StatusCode, body)
					}
					return
				}
				if resp.StatusCode != 200 || !strings.Contains(string(body), `"role":"`+tc.wantRole+`"`) ||
					!strings.Contains(string(body), `"name":"`+strings.ToLower(tc.user)+`"`) {
					t.Fatalf("session %d %s", resp.StatusCode, body)
				}
			})
		}
		users, _ := db.ListUsers(ctx)
		if len(users) != 3 {
			t.Fatalf("users %+v; want carol, ada, otto", users)
		}
		// SSO accounts have no password that could match.
		if _, err := db.Authenticate(ctx, "ada", ""); homelabcmd.ErrorCode(err) != homelabcmd.EUNAUTHORIZED {
			t.Fatalf("password sign-in of an SSO account: %v", err)
		}

		t.Run("a callback without the sign-in cookie is refused", func(t *testing.T) {
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.Get(hs.URL + "/api/v1/auth/oidc/callback?code=x&state=y")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.HasPrefix(loc, "/login?error=") || len(resp.Cookies()) != 1 {
				t.Fatalf("%d %s %v", resp.StatusCode, loc, resp.Cookies())
			}
		})
	})
}

func TestSingleSignOnOff(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectCode(t, a.do("GET", "/api/v1/auth/oidc/login", nil), 404, "NOT_FOUND")
		if got := a.do("GET", "/api/v1/auth/setup", nil).json(t); got["sso"] != false {
			t.Fatalf("setup %v", got)
		}
	})
}
