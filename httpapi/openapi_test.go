package httpapi_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/httpapi"
)

// routePattern is what a method-qualified /api route looks like in the code.
var routePattern = regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT|TRACE) (/api/\S*)$`)

// registeredRoute is a route string found in the httpapi sources.
type registeredRoute struct{ route, where string }

// scanRoutes finds every constant string of the form "METHOD /api/…" in the
// package's non-test Go files, wherever it is registered. The OpenAPI table
// files (openapi*.go) repeat the routes on purpose and are skipped.
func scanRoutes(t *testing.T) []registeredRoute {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	consts := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "openapi") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	// Package-level string constants, so "GET " + prefix + "/x" is found too.
	for range 3 {
		for _, f := range parsed {
			for _, d := range f.Decls {
				if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.CONST {
					for _, spec := range gd.Specs {
						vs := spec.(*ast.ValueSpec)
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								if v, ok := constString(vs.Values[i], consts); ok {
									consts[n.Name] = v
								}
							}
						}
					}
				}
			}
		}
	}
	var out []registeredRoute
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok {
				return true
			}
			if _, isLit := e.(*ast.BasicLit); !isLit {
				if b, isAdd := e.(*ast.BinaryExpr); !isAdd || b.Op != token.ADD {
					return true
				}
			}
			v, ok := constString(e, consts)
			if !ok {
				return true
			}
			if routePattern.MatchString(v) {
				pos := fset.Position(e.Pos())
				out = append(out, registeredRoute{route: v, where: fmt.Sprintf("httpapi/%s:%d", pos.Filename, pos.Line)})
			}
			return false
		})
	}
	return out
}

func constString(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	case *ast.ParenExpr:
		return constString(e.X, consts)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			l, ok1 := constString(e.X, consts)
			r, ok2 := constString(e.Y, consts)
			return l + r, ok1 && ok2
		}
	}
	return "", false
}

// openAPIDoc fetches the served document through the real router.
func openAPIDoc(t *testing.T) (*httpapi.Server, map[string]any) {
	t.Helper()
	s := httpapi.NewServer(nil, nil, "", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/openapi.json", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the document is not valid JSON: %v", err)
	}
	return s, doc
}

// documentedRoutes lists "METHOD /path" for every operation in the document.
func documentedRoutes(doc map[string]any) []string {
	var out []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

const addRouteHelp = `add an entry to the list in apiOperations() in httpapi/openapi_ops.go, e.g.
	{Route: %q, Tag: "…", Summary: "…", Auth: authOperator, Result: ref("…"), Errors: []int{404}},
(path parameters come from the route; name new response shapes in httpapi/openapi_types.go or register the Go type in openAPIComponents)`

func TestOpenAPICoversRoutes(t *testing.T) {
	s, doc := openAPIDoc(t)
	documented := documentedRoutes(doc)
	registered := scanRoutes(t)
	if len(registered) < 10 {
		t.Fatalf("found only %d routes in the httpapi sources; is the scanner broken?", len(registered))
	}
	seen := map[string]bool{}
	for _, r := range registered {
		seen[r.route] = true
		if !slices.Contains(documented, r.route) {
			t.Errorf("route %q (registered at %s) is missing from the OpenAPI document: "+addRouteHelp, r.route, r.where, r.route)
		}
	}
	mux, ok := s.Handler().(*http.ServeMux)
	if !ok {
		t.Fatalf("Handler() is a %T, not the *http.ServeMux this test asks for patterns", s.Handler())
	}
	for _, route := range documented {
		method, path, _ := strings.Cut(route, " ")
		req := httptest.NewRequest(method, regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x1"), nil)
		if _, pattern := mux.Handler(req); pattern != route {
			t.Errorf("OpenAPI documents %q but the router does not register it (it matches %q): remove or fix its entry in apiOperations() in httpapi/openapi_ops.go", route, pattern)
		} else if !seen[route] {
			t.Logf("%q is registered but not found by the source scan (dynamic pattern?)", route)
		}
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	_, doc := openAPIDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" {
		t.Fatalf("info %v", info)
	}
	// Every $ref resolves.
	var walk func(v any, at string)
	refs := 0
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs++
				if resolvePointer(doc, r) == nil {
					t.Errorf("%s: $ref %q does not resolve", at, r)
				}
			}
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
	if refs == 0 {
		t.Fatal("no $ref at all")
	}
	// Operations are complete and consistent.
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	for _, name := range []string{"apiKey", "sessionCookie", "agentToken", "agentGUID"} {
		if schemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}
	ids := map[string]string{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			where := strings.ToUpper(method) + " " + path
			id, _ := op["operationId"].(string)
			if prev, dup := ids[id]; dup || id == "" {
				t.Errorf("%s: operationId %q empty or also used by %s", where, id, prev)
			}
			ids[id] = where
			if op["summary"] == "" || len(op["tags"].([]any)) != 1 {
				t.Errorf("%s: needs a summary and one tag", where)
			}
			if resp, _ := op["responses"].(map[string]any); len(resp) < 2 {
				t.Errorf("%s: responses %v", where, resp)
			}
			sec, ok := op["security"].([]any)
			if !ok {
				t.Errorf("%s: no security list (use [] for open routes)", where)
			}
			for _, req := range sec {
				for name := range req.(map[string]any) {
					if schemes[name] == nil {
						t.Errorf("%s: unknown security scheme %s", where, name)
					}
				}
			}
			params := map[string]bool{}
			for _, p := range asSlice(op["parameters"]) {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					params[pm["name"].(string)] = true
				}
			}
			for _, m := range regexp.MustCompile(`\{([^}.]+)`).FindAllStringSubmatch(path, -1) {
				if !params[m[1]] {
					t.Errorf("%s: path parameter %s not declared", where, m[1])
				}
			}
		}
	}
	// Both error shapes are documented.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"Error", "ValidationError", "Heartbeat", "ServerResponse", "ExpectedService"} {
		if schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// resolvePointer follows a local JSON pointer ("#/a/b") through doc.
func resolvePointer(doc map[string]any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var node any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		if node, ok = m[part]; !ok {
			return nil
		}
	}
	return node
}

func TestDocsPage(t *testing.T) {
	s := httpapi.NewServer(nil, nil, "", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/docs", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/docs: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !strings.Contains(body, `fetch("openapi.json")`) {
		t.Error("the page does not load the document")
	}
	// Works offline: nothing is loaded from another host.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(body); m != "" {
		t.Errorf("the page loads an external resource: %s", m)
	}
}
