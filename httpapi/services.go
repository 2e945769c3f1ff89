package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func (s *Server) handleListServices(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListExpectedServices(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// An agent that does not watch the hub's expected list (the
	// original's) leaves unreported services unmonitored, not missing.
	watches := true
	if srv, err := s.store.FindServer(r.Context(), r.PathValue("id")); err == nil && srv.Capabilities != nil {
		watches = slices.Contains(srv.Capabilities, homelabcmd.CapExpectedServices)
	}
	writeJSON(w, http.StatusOK, map[string]any{"services": list, "total": len(list), "agent_watches_expected": watches})
}

func (s *Server) handleCreateService(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ServiceName *string `json:"service_name"`
		DisplayName *string `json:"display_name"`
		IsCritical  *bool   `json:"is_critical"`
		Enabled     *bool   `json:"enabled"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if created := s.createExpectedUnit(w, r, homelabcmd.KindSystemd, "service_name", body.ServiceName, expectedUnitBody{body.DisplayName, body.IsCritical, body.Enabled}); created != nil {
		writeJSON(w, http.StatusCreated, created)
	}
}

// expectedUnitBody is what declaring an expected unit takes besides its
// name, whatever its kind.
type expectedUnitBody struct {
	DisplayName *string `json:"display_name"`
	IsCritical  *bool   `json:"is_critical"`
	Enabled     *bool   `json:"enabled"`
}

// createExpectedUnit declares an expected unit of kind named name (the
// body's nameField) and returns it as stored, or nil after writing the
// error. An unknown server is a 404 even when the name is also bad.
func (s *Server) createExpectedUnit(w http.ResponseWriter, r *http.Request, kind homelabcmd.UnitKind, nameField string, name *string, b expectedUnitBody) *homelabcmd.ExpectedService {
	if name == nil {
		s.writeError(w, r, homelabcmd.FieldError(nameField, "%s is required", nameField))
		return nil
	}
	u := homelabcmd.NewExpectedService(r.PathValue("id"), *name)
	u.Kind, u.DisplayName = kind, b.DisplayName
	if b.IsCritical != nil {
		u.IsCritical = *b.IsCritical
	}
	if b.Enabled != nil {
		u.Enabled = *b.Enabled
	}
	if _, err := s.store.FindServer(r.Context(), u.ServerID); err != nil {
		s.writeError(w, r, err)
		return nil
	}
	if err := s.store.CreateExpectedService(r.Context(), u); err != nil {
		s.writeError(w, r, err)
		return nil
	}
	created, err := s.store.FindExpectedUnit(r.Context(), u.ServerID, kind, u.ServiceName)
	if err != nil {
		s.writeError(w, r, err)
		return nil
	}
	return created
}

// handleUpdateService changes only the fields present. An explicit null is
// allowed for display_name (clears it) and refused for the flags.
func (s *Server) handleUpdateService(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(w, r, &raw); err != nil {
		s.writeError(w, r, err)
		return
	}
	upd, err := expectedUpdate(raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	svc, err := s.engine.UpdateExpectedService(r.Context(), r.PathValue("id"), r.PathValue("name"), upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, svc)
}

func (s *Server) handleDeleteService(w http.ResponseWriter, r *http.Request) {
	if err := s.engine.DeleteExpectedService(r.Context(), r.PathValue("id"), r.PathValue("name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleServiceHistory pages through status samples, newest first.
func (s *Server) handleServiceHistory(w http.ResponseWriter, r *http.Request) {
	s.serveUnitHistory(w, r, homelabcmd.KindSystemd, "service_name")
}

// serveUnitHistory pages through the status samples of a unit of kind;
// nameKey names the unit in the answer.
func (s *Server) serveUnitHistory(w http.ResponseWriter, r *http.Request, kind homelabcmd.UnitKind, nameKey string) {
	q := r.URL.Query()
	f := homelabcmd.HistoryFilter{Limit: 100}
	var err error
	if f.From, err = queryTime(q.Get("from"), "from"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.To, err = queryTime(q.Get("to"), "to"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.Limit, err = queryInt(q.Get("limit"), "limit", 100, 1, 1000); err != nil {
		s.writeError(w, r, err)
		return
	}
	if c := q.Get("cursor"); c != "" {
		if f.Before, err = strconv.ParseInt(c, 10, 64); err != nil || f.Before < 1 {
			s.writeError(w, r, homelabcmd.FieldError("query.cursor", "cursor must be the next_cursor of a previous page"))
			return
		}
	}
	name := r.PathValue("name")
	hist, next, err := s.store.UnitHistory(r.Context(), r.PathValue("id"), kind, name, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var nextCursor any
	if next > 0 {
		nextCursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, map[string]any{"server_id": r.PathValue("id"), nameKey: name,
		"history": hist, "limit": f.Limit, "next_cursor": nextCursor})
}

func queryTime(v, name string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := homelabcmd.ParseTime(v)
	if err != nil {
		return nil, homelabcmd.FieldError("query."+name, "%s must be an ISO 8601 date-time", name)
	}
	return &t, nil
}

func queryInt(v, name string, def, min, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, homelabcmd.FieldError("query."+name, "%s must be an integer from %d to %d", name, min, max)
	}
	return n, nil
}

// handleServiceUptime returns the share of time a service reported running
// over 24 h, 7 d and 30 d (null where nothing is known), from its history.
func (s *Server) handleServiceUptime(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("name")
	if _, err := s.store.FindServer(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now()
	out := map[string]any{"server_id": id, "service_name": name}
	for _, p := range []struct {
		key string
		d   time.Duration
	}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}} {
		v, err := s.store.ServiceUptime(r.Context(), id, name, now.Add(-p.d))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if v != nil {
			rounded := math.Round(*v*1000) / 1000
			v = &rounded
		}
		out["uptime_"+p.key] = v
	}
	writeJSON(w, http.StatusOK, out)
}
