package httpapi_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/httpapi"
)

var updateDocs = flag.Bool("update", false, "rewrite the generated role table in docs/security.md")

// caller is one principal of the role matrix: its role ("" for none) and
// the headers that present it (built fresh for every request).
type caller struct {
	name    string
	role    homelabcmd.Role
	headers func(t *testing.T) map[string]string
}

// matrixCallers makes one caller of every kind: none, a token per role, a
// user session per role and the operator key.
func matrixCallers(t *testing.T, a *api) []caller {
	ctx := context.Background()
	out := []caller{{name: "anonymous", headers: func(*testing.T) map[string]string { return nil }}}
	for _, role := range homelabcmd.Roles {
		_, secret, err := a.db.CreateAPIToken(ctx, homelabcmd.APIToken{Name: "matrix-" + string(role), Role: role, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, caller{name: string(role) + " token", role: role, headers: func(*testing.T) map[string]string {
			return map[string]string{"Authorization": "Bearer " + secret}
		}})
		u, err := a.db.CreateUser(ctx, "matrix-"+string(role), role, "not-a-real-hash")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, caller{name: string(role) + " user", role: role, headers: func(t *testing.T) map[string]string {
			// A fresh session each time: some allowed calls end sessions.
			s, err := a.db.CreateSession(ctx, time.Hour, u.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			return map[string]string{"Cookie": "homelabcmd_session=" + s}
		}})
	}
	return append(out, caller{name: "operator key", role: homelabcmd.RoleAdmin, headers: func(*testing.T) map[string]string {
		return map[string]string{"X-API-Key": testKey}
	}})
}

// TestRoleMatrix calls every route of the route table as every kind of
// caller and checks the answer against the route's role: 401 without a
// credential, 403 with a JSON FORBIDDEN body below the role, neither at or
// above it. Agents' routes refuse every user credential but the key.
func TestRoleMatrix(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		s, _ := newServer(a.db)
		callers := matrixCallers(t, a)
		routes := s.Routes()
		if len(routes) < 60 {
			t.Fatalf("only %d routes", len(routes))
		}
		param := regexp.MustCompile(`\{[^}]*\}`)
		for _, rt := range routes {
			method, path, _ := strings.Cut(rt.Pattern, " ")
			path = param.ReplaceAllString(path, "x1")
			for _, c := range callers {
				status, body := call(t, a, method, path, c.headers(t))
				var want string
				switch rt.Access {
				case "open":
					continue // checks its own credential (login, one-time tokens) or none
				case "agent":
					want = "allowed"
					if c.name != "operator key" {
						want = "401"
					}
				default:
					switch {
					case c.role == "":
						want = "401"
					case c.role.Allows(homelabcmd.Role(rt.Access)):
						want = "allowed"
					default:
						want = "403"
					}
				}
				got := "allowed"
				if status == 401 || status == 403 {
					got = fmt.Sprint(status)
				}
				if got != want {
					t.Errorf("%s as %s: %d (%s), want %s", rt.Pattern, c.name, status, body, want)
					continue
				}
				if got == "403" {
					var e struct {
						Detail struct{ Code, Message string }
					}
					if json.Unmarshal(body, &e) != nil || e.Detail.Code != "FORBIDDEN" || !strings.Contains(e.Detail.Message, string(rt.Access)) {
						t.Errorf("%s as %s: 403 body %s", rt.Pattern, c.name, body)
					}
				}
			}
		}
	})
}

// call sends one request and reads the body only of an error (the event
// stream never ends).
func call(t *testing.T, a *api, method, path string, headers map[string]string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, a.srv.URL+path, nil)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// roleTable renders the route table as the Markdown table in docs/security.md.
func roleTable(routes []httpapi.Route) string {
	var b strings.Builder
	b.WriteString("| route | who may call it |\n|---|---|\n")
	for _, rt := range routes {
		if !strings.Contains(rt.Pattern, " /api/v1/") {
			continue
		}
		who := map[httpapi.Access]string{
			"open":     "anyone (no credential, or one the route checks itself)",
			"agent":    "agents (agent token, or the operator key)",
			"viewer":   "viewer, operator, admin",
			"operator": "operator, admin",
			"admin":    "admin",
		}[rt.Access]
		fmt.Fprintf(&b, "| `%s` | %s |\n", rt.Pattern, who)
	}
	return b.String()
}

const (
	tableStart = "<!-- role table: generated by `go test ./httpapi -run TestSecurityDocRoleTable -update` -->\n"
	tableEnd   = "<!-- end of role table -->"
)

// TestSecurityDocRoleTable keeps the table in docs/security.md equal to
// the route table.
func TestSecurityDocRoleTable(t *testing.T) {
	const file = "../docs/security.md"
	s := httpapi.NewServer(nil, nil, "", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	want := roleTable(s.Routes())
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), tableStart)
	got, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s has no role table markers %q … %q", file, tableStart, tableEnd)
	}
	if got == want {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(file, []byte(before+tableStart+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the role table in %s differs from the route table; run go test ./httpapi -run TestSecurityDocRoleTable -update\n got:\n%s\nwant:\n%s", file, got, want)
}
