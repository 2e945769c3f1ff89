package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPages(t *testing.T) {
	h := Handler()
	tests := []struct {
		name, method, path string
		status             int
	}{
		{"overview", "GET", "/", 200},
		{"server detail", "GET", "/servers/nas-1", 200},
		{"alerts", "GET", "/alerts", 200},
		{"login", "GET", "/login", 200},
		{"head", "HEAD", "/settings", 200},
		{"unknown page still gets the app", "GET", "/nope", 404},
		{"post refused", "POST", "/", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, tt.method, tt.path, nil)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Frame-Options") != "DENY" {
				t.Errorf("security headers missing: %v", rec.Header())
			}
			if tt.status == 405 {
				return
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", cc)
			}
			if tt.method == "GET" && !strings.Contains(rec.Body.String(), `type="module"`) {
				t.Errorf("body is not the app shell:\n%s", rec.Body)
			}
			if tt.method == "GET" && !strings.Contains(rec.Body.String(), `<span id="hub-version">`+homelabcmd.Version+`</span>`) {
				t.Errorf("footer lacks the version %s", homelabcmd.Version)
			}
		})
	}
}

// TestAssetsReferencedByIndexResolve checks every /assets/… URL in the page
// and every relative import in the JavaScript modules points at a file.
func TestAssetsReferencedByIndexResolve(t *testing.T) {
	h, err := newHandler(static)
	if err != nil {
		t.Fatal(err)
	}
	index := string(h.index)
	refs := regexp.MustCompile(`/assets/([0-9a-f]+)/([^"]+)`).FindAllStringSubmatch(index, -1)
	if len(refs) < 4 {
		t.Fatalf("index references only %d assets", len(refs))
	}
	for _, m := range refs {
		if m[1] != h.version {
			t.Errorf("%s uses version %s, want %s", m[2], m[1], h.version)
		}
		rec := get(t, h, "GET", m[0], nil)
		if rec.Code != 200 {
			t.Errorf("GET %s = %d", m[0], rec.Code)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s Cache-Control = %q", m[0], cc)
		}
	}
	imports := regexp.MustCompile(`(?m)^import .* from '(\.[^']+)';|import\('(\.[^']+)'\)`)
	for name, a := range h.assets {
		if path.Ext(name) != ".js" || strings.HasPrefix(name, "vendor/") {
			continue
		}
		for _, m := range imports.FindAllStringSubmatch(string(a.body), -1) {
			target := path.Join(path.Dir(name), m[1]+m[2])
			if h.assets[target] == nil {
				t.Errorf("%s imports %s, which does not exist", name, target)
			}
		}
	}
}

func TestAssetCachingAndCompression(t *testing.T) {
	h, err := newHandler(static)
	if err != nil {
		t.Fatal(err)
	}
	url := "/assets/" + h.version + "/vendor/uPlot.iife.min.js"
	plain := get(t, h, "GET", url, nil)
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" || plain.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("plain: %d %v", plain.Code, plain.Header())
	}
	gz := get(t, h, "GET", url, map[string]string{"Accept-Encoding": "br, gzip"})
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= plain.Body.Len() {
		t.Fatalf("gzip: %v, %d bytes vs %d", gz.Header(), gz.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, plain.Body.Bytes()) {
		t.Error("gzip body differs from the plain one")
	}
	notModified := get(t, h, "GET", url, map[string]string{"If-None-Match": plain.Header().Get("ETag")})
	if notModified.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", notModified.Code)
	}
	for _, p := range []string{"/assets/000000000000/app.js", "/assets/" + h.version + "/missing.js", "/assets/" + h.version + "/"} {
		if rec := get(t, h, "GET", p, nil); rec.Code != 404 || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d %q, want 404 no-store", p, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
}
