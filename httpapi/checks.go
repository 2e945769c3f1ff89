package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// CheckStore reads checks, their per-agent statuses and history; they are
// written through the engine.
type CheckStore interface {
	ListChecks(ctx context.Context, serverID string) ([]homelabcmd.CheckOverview, error)
	CheckOverview(ctx context.Context, id int64) (*homelabcmd.CheckOverview, error)
	CheckHistory(ctx context.Context, id int64, since time.Time, limit int) ([]homelabcmd.CheckHistoryPoint, error)
}

// CheckEngine is what the API asks of the engine for checks.
type CheckEngine interface {
	CreateCheck(ctx context.Context, c *homelabcmd.Check) error
	UpdateCheck(ctx context.Context, id int64, apply func(*homelabcmd.Check) error) (*homelabcmd.Check, error)
	DeleteCheck(ctx context.Context, id int64) error
}

// withState decides each check's state across agents, as the alert rule
// does.
func withState(list []homelabcmd.CheckOverview) []homelabcmd.CheckOverview {
	now := time.Now()
	for i := range list {
		list[i].State = alerting.Quorum(list[i].Check, list[i].Agents, now).State
		if !list[i].Enabled {
			list[i].State = "disabled"
		}
	}
	return list
}

func (s *Server) handleListChecks(w http.ResponseWriter, r *http.Request) {
	server := r.URL.Query().Get("server_id")
	if server != "" {
		if err := homelabcmd.ValidateServerID(server); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	list, err := s.store.ListChecks(r.Context(), server)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": withState(list), "total": len(list)})
}

func (s *Server) handleGetCheck(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "chid", "check")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.store.CheckOverview(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, withState([]homelabcmd.CheckOverview{*c})[0])
}

func (s *Server) handleCheckResults(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "chid", "check")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.store.CheckOverview(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"check_id": id, "results": c.Agents, "total": len(c.Agents)})
}

func (s *Server) handleCheckHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "chid", "check")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hours, limit := 24, 1000
	for _, p := range []struct {
		name     string
		v        *int
		min, max int
	}{{"hours", &hours, 1, 24 * 7}, {"limit", &limit, 1, 10000}} {
		if q := r.URL.Query().Get(p.name); q != "" {
			n, err := strconv.Atoi(q)
			if err != nil || n < p.min || n > p.max {
				s.writeError(w, r, homelabcmd.FieldError("query."+p.name, "%s must be an integer between %d and %d", p.name, p.min, p.max))
				return
			}
			*p.v = n
		}
	}
	list, err := s.store.CheckHistory(r.Context(), id, time.Now().Add(-time.Duration(hours)*time.Hour), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"check_id": id, "history": list, "total": len(list)})
}

func (s *Server) handleCreateCheck(w http.ResponseWriter, r *http.Request) {
	c := homelabcmd.Check{Enabled: true}
	if err := decodeJSON(w, r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	c.ID = 0
	if err := s.engine.CreateCheck(r.Context(), &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// handleUpdateCheck merges the fields given onto the stored check: fields
// left out keep their values; headers and expected_status, when given,
// replace the old ones.
func (s *Server) handleUpdateCheck(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "chid", "check")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var raw json.RawMessage
	if err := decodeJSON(w, r, &raw); err != nil {
		s.writeError(w, r, err)
		return
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EINVALID, "Request body must be a JSON object"))
		return
	}
	c, err := s.engine.UpdateCheck(r.Context(), id, func(c *homelabcmd.Check) error {
		if _, ok := keys["headers"]; ok {
			c.Headers = nil
		}
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(c); err != nil {
			return decodeError(err)
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleDeleteCheck(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "chid", "check")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.DeleteCheck(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
