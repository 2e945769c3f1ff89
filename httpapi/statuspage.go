package httpapi

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// SettingsStore keeps small settings as JSON in the config table.
type SettingsStore interface {
	GetConfig(ctx context.Context, key string) (string, bool, error)
	SetConfig(ctx context.Context, key, value string) error
}

const configKeyStatusPage = "status_page"

// statusPageConfig is the public status page: off by default; when on,
// /status shows the chosen servers and services to anyone, without login.
type statusPageConfig struct {
	Enabled bool   `json:"enabled"`
	Title   string `json:"title"`
	// Servers are the server ids shown, in this order.
	Servers []string `json:"servers"`
	// Services are "server_id/service_name" pairs shown under their server.
	Services []string `json:"services"`
}

func (c *statusPageConfig) validate() error {
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" {
		c.Title = "Homelab status"
	}
	if err := homelabcmd.CheckText("title", c.Title, 100); err != nil {
		return err
	}
	if len(c.Servers) > 200 || len(c.Services) > 1000 {
		return homelabcmd.FieldError("servers", "at most 200 servers and 1000 services")
	}
	if c.Servers == nil {
		c.Servers = []string{}
	}
	if c.Services == nil {
		c.Services = []string{}
	}
	for _, id := range c.Servers {
		if homelabcmd.ValidateServerID(id) != nil {
			return homelabcmd.FieldError("servers", "%q is not a server id", id)
		}
	}
	for _, s := range c.Services {
		id, name, ok := strings.Cut(s, "/")
		if !ok || homelabcmd.ValidateServerID(id) != nil || homelabcmd.ValidateUnitName(name) != nil {
			return homelabcmd.FieldError("services", "%q is not server_id/service_name", s)
		}
	}
	return nil
}

func (s *Server) statusPageConfig(ctx context.Context) (*statusPageConfig, error) {
	c := &statusPageConfig{Title: "Homelab status", Servers: []string{}, Services: []string{}}
	raw, found, err := s.store.GetConfig(ctx, configKeyStatusPage)
	if err != nil || !found {
		return c, err
	}
	return c, json.Unmarshal([]byte(raw), c)
}

func (s *Server) handleGetStatusPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.statusPageConfig(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handlePutStatusPage(w http.ResponseWriter, r *http.Request) {
	var c statusPageConfig
	if err := decodeJSON(w, r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := c.validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	b, _ := json.Marshal(c)
	if err := s.store.SetConfig(r.Context(), configKeyStatusPage, string(b)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// publicStatus is what the status page shows: names and up/down, no
// addresses, metrics or ids.
type publicStatus struct {
	Title     string         `json:"title"`
	Overall   string         `json:"overall"` // operational, degraded, down
	Message   string         `json:"message"`
	Systems   []publicSystem `json:"systems"`
	UpdatedAt time.Time      `json:"updated_at"`
}

type publicSystem struct {
	Name     string          `json:"name"`
	Status   string          `json:"status"` // up, down, maintenance, unknown
	Services []publicService `json:"services"`
}

type publicService struct {
	Name   string `json:"name"`
	Status string `json:"status"` // up, down, unknown
}

// publicStatus builds the page's content; nil when the page is off.
func (s *Server) publicStatus(ctx context.Context) (*publicStatus, error) {
	c, err := s.statusPageConfig(ctx)
	if err != nil || !c.Enabled {
		return nil, err
	}
	out := &publicStatus{Title: c.Title, Systems: []publicSystem{}, UpdatedAt: time.Now().UTC().Truncate(time.Second)}
	down, unknown := 0, 0
	for _, id := range c.Servers {
		srv, err := s.store.FindServer(ctx, id)
		if homelabcmd.ErrorCode(err) == homelabcmd.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		sys := publicSystem{Name: srv.Name(), Status: "unknown", Services: []publicService{}}
		switch {
		case srv.IsPaused:
			sys.Status = "maintenance"
		case srv.Status == homelabcmd.ServerOnline:
			sys.Status = "up"
		case srv.Status == homelabcmd.ServerOffline:
			sys.Status = "down"
		}
		svcs, err := s.store.ListExpectedServices(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, e := range svcs {
			if !slices.Contains(c.Services, id+"/"+e.ServiceName) {
				continue
			}
			name := e.ServiceName
			if e.DisplayName != nil && *e.DisplayName != "" {
				name = *e.DisplayName
			}
			st := "unknown"
			if cs := e.CurrentStatus; cs != nil && sys.Status == "up" {
				if cs.Status == homelabcmd.StatusRunning {
					st = "up"
				} else if cs.Status == homelabcmd.StatusStopped || cs.Status == homelabcmd.StatusFailed {
					st = "down"
				}
			}
			sys.Services = append(sys.Services, publicService{Name: name, Status: st})
			switch st {
			case "down":
				down++
			case "unknown":
				unknown++
			}
		}
		switch sys.Status {
		case "down":
			down++
		case "unknown":
			unknown++
		}
		out.Systems = append(out.Systems, sys)
	}
	switch {
	case down > 0:
		out.Overall, out.Message = "down", "Some systems are down"
	case unknown > 0:
		out.Overall, out.Message = "degraded", "Some systems cannot be checked right now"
	default:
		out.Overall, out.Message = "operational", "All systems operational"
	}
	return out, nil
}

// handlePublicStatusJSON serves the status page's content as JSON; 404
// when the page is off.
func (s *Server) handlePublicStatusJSON(w http.ResponseWriter, r *http.Request) {
	st, err := s.publicStatus(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if st == nil {
		s.handleNotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
}

// handlePublicStatusPage renders /status as plain HTML (no script, no
// login); 404 when the page is off.
func (s *Server) handlePublicStatusPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.publicStatus(r.Context())
	if err != nil {
		s.logger.Error("status page", "err", err)
		http.Error(w, "The status page is unavailable.", http.StatusInternalServerError)
		return
	}
	if st == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	if err := statusTemplate.Execute(w, st); err != nil {
		s.logger.Warn("status page", "err", err)
	}
}

var statusTemplate = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><meta http-equiv="refresh" content="60">
<title>{{.Title}}</title>
<style>
:root { --bg: #F6F8FA; --card: #fff; --text: #1F2328; --muted: #57606A; --up: #1A7F37; --down: #C62828; --other: #8A5A00; --border: #D0D7DE; }
@media (prefers-color-scheme: dark) { :root { --bg: #0D0D0D; --card: #161B22; --text: #E6EDF3; --muted: #9BA5B0; --up: #4ADE80; --down: #F87171; --other: #FBBF24; --border: #30363D; } }
body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, sans-serif; }
main { max-width: 42rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
.overall { padding: 1rem; border-radius: 8px; border: 2px solid var(--border); background: var(--card); font-size: 1.2rem; font-weight: 700; margin-bottom: 1.2rem; }
.overall[data-overall="operational"] { border-color: var(--up); color: var(--up); }
.overall[data-overall="down"] { border-color: var(--down); color: var(--down); }
.overall[data-overall="degraded"] { border-color: var(--other); color: var(--other); }
ul { list-style: none; margin: 0; padding: 0; }
.system { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: .7rem 1rem; margin-bottom: .7rem; }
.row { display: flex; justify-content: space-between; gap: 1rem; }
.services { margin-top: .4rem; padding-left: 1rem; border-left: 2px solid var(--border); }
.st { font-weight: 700; white-space: nowrap; }
.st-up { color: var(--up); } .st-down { color: var(--down); } .st-unknown, .st-maintenance { color: var(--other); }
footer { color: var(--muted); font-size: .85rem; margin-top: 1.5rem; }
</style></head>
<body><main>
<h1>{{.Title}}</h1>
<p class="overall" data-overall="{{.Overall}}" role="status">{{if eq .Overall "operational"}}✓{{else}}⚠{{end}} {{.Message}}</p>
<ul>{{range .Systems}}
<li class="system" data-status="{{.Status}}"><div class="row"><strong>{{.Name}}</strong><span class="st st-{{.Status}}">{{template "word" .Status}}</span></div>
{{if .Services}}<ul class="services">{{range .Services}}<li class="row" data-status="{{.Status}}"><span>{{.Name}}</span><span class="st st-{{.Status}}">{{template "word" .Status}}</span></li>{{end}}</ul>{{end}}
</li>{{end}}</ul>
<footer>Updated {{.UpdatedAt.Format "2006-01-02 15:04 UTC"}} · refreshes every minute</footer>
</main></body></html>
{{define "word"}}{{if eq . "up"}}✓ Up{{else if eq . "down"}}✕ Down{{else if eq . "maintenance"}}Ⅱ Maintenance{{else}}? Unknown{{end}}{{end}}`))
