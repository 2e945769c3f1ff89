// Package web serves the dashboard: plain HTML, CSS and JavaScript modules
// embedded in the binary, under content-hashed URLs so browsers cache them
// for good and never run a stale mix after an upgrade.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

//go:embed static
var static embed.FS

//go:embed index.html
var indexTemplate string

// pageRoutes are the dashboard's client-side routes; any other path still
// gets the page (the router shows "not found") but with a 404 status.
var pageRoutes = []string{"/", "/login", "/alerts", "/actions", "/settings"}

// asset is one embedded file, with a gzipped copy when that is smaller.
type asset struct {
	body, gz    []byte
	contentType string
}

type handler struct {
	version string            // hash of every asset; part of each asset URL
	assets  map[string]*asset // by path below static/
	index   []byte
}

// Handler serves the dashboard at "/" and its assets at /assets/<hash>/….
// It panics only if the embedded files are broken, which tests rule out.
func Handler() http.Handler {
	h, err := newHandler(static)
	if err != nil {
		panic("web: " + err.Error())
	}
	return h
}

func newHandler(fsys fs.FS) (*handler, error) {
	h := &handler{assets: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, p := range names {
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(p, "static/")
		sum.Write([]byte(rel))
		sum.Write(body)
		h.assets[rel] = newAsset(rel, body)
	}
	h.version = hex.EncodeToString(sum.Sum(nil))[:12]
	tmpl, err := template.New("index").Parse(indexTemplate)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, map[string]string{"Assets": "/assets/" + h.version, "Version": homelabcmd.Version}); err != nil {
		return nil, err
	}
	h.index = buf.Bytes()
	return h, nil
}

func newAsset(name string, body []byte) *asset {
	a := &asset{body: body, contentType: mime.TypeByExtension(path.Ext(name))}
	if a.contentType == "" {
		a.contentType = "application/octet-stream"
	}
	if len(body) > 1024 && !strings.HasSuffix(name, ".png") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/assets/"); ok {
		h.serveAsset(w, r, rest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	status := http.StatusOK
	if !isPageRoute(r.URL.Path) {
		status = http.StatusNotFound
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		w.Write(h.index)
	}
}

// serveAsset serves /assets/<version>/<file>. Only the current version
// exists, so a URL is never reused for other content and may be cached
// forever.
func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, rest string) {
	version, name, _ := strings.Cut(rest, "/")
	a := h.assets[name]
	if version != h.version || a == nil {
		w.Header().Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `W/"`+h.version+`"`)
	body := a.body
	if a.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hd.Set("Content-Encoding", "gzip")
			body = a.gz
		}
	}
	http.ServeContent(w, r, "", zeroTime, bytes.NewReader(body))
}

// zeroTime makes ServeContent skip Last-Modified; the ETag does the job.
var zeroTime time.Time

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func isPageRoute(p string) bool {
	if strings.HasPrefix(p, "/servers/") && len(p) > len("/servers/") {
		return true
	}
	for _, r := range pageRoutes {
		if p == r {
			return true
		}
	}
	return false
}

// setSecurityHeaders keeps the dashboard to its own origin: no inline or
// foreign scripts, no framing, no MIME sniffing.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}
