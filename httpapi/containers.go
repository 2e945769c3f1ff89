package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// ContainerStore reads containers and expected units of any kind.
type ContainerStore interface {
	ListContainers(ctx context.Context, serverID string) ([]*homelabcmd.ContainerView, error)
	FindExpectedUnit(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string) (*homelabcmd.ExpectedService, error)
	UnitHistory(ctx context.Context, serverID string, kind homelabcmd.UnitKind, name string, f homelabcmd.HistoryFilter) ([]homelabcmd.ServiceStatus, int64, error)
}

// handleListContainers lists every container the agent reported, expected
// or not, and every expected container, with its current status.
func (s *Server) handleListContainers(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListContainers(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"containers": list, "total": len(list)})
}

// handleCreateContainer declares an expected container.
func (s *Server) handleCreateContainer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ContainerName *string `json:"container_name"`
		DisplayName   *string `json:"display_name"`
		IsCritical    *bool   `json:"is_critical"`
		Enabled       *bool   `json:"enabled"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if created := s.createExpectedUnit(w, r, homelabcmd.KindContainer, "container_name", body.ContainerName, expectedUnitBody{body.DisplayName, body.IsCritical, body.Enabled}); created != nil {
		writeJSON(w, http.StatusCreated, homelabcmd.ExpectedContainerView(created))
	}
}

// handleUpdateContainer changes only the fields present of an expected
// container, as handleUpdateService does for services.
func (s *Server) handleUpdateContainer(w http.ResponseWriter, r *http.Request) {
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
	c, err := s.engine.UpdateExpectedUnit(r.Context(), r.PathValue("id"), homelabcmd.KindContainer, r.PathValue("name"), upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, homelabcmd.ExpectedContainerView(c))
}

// expectedUpdate reads a partial update of an expected unit: an explicit
// null clears display_name and is refused for the flags.
func expectedUpdate(raw map[string]json.RawMessage) (homelabcmd.ExpectedServiceUpdate, error) {
	var upd homelabcmd.ExpectedServiceUpdate
	if v, ok := raw["display_name"]; ok {
		upd.DisplayName = new(string)
		if !bytes.Equal(v, []byte("null")) {
			if err := json.Unmarshal(v, upd.DisplayName); err != nil {
				return upd, homelabcmd.FieldError("display_name", "must be a string or null")
			}
		}
	}
	for _, f := range []struct {
		key string
		dst **bool
	}{{"is_critical", &upd.IsCritical}, {"enabled", &upd.Enabled}} {
		if v, ok := raw[f.key]; ok {
			var b bool
			if bytes.Equal(v, []byte("null")) || json.Unmarshal(v, &b) != nil {
				return upd, homelabcmd.FieldError(f.key, "must be true or false")
			}
			*f.dst = &b
		}
	}
	return upd, nil
}

// handleDeleteContainer stops expecting a container; its history is kept.
func (s *Server) handleDeleteContainer(w http.ResponseWriter, r *http.Request) {
	if err := s.engine.DeleteExpectedUnit(r.Context(), r.PathValue("id"), homelabcmd.KindContainer, r.PathValue("name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleContainerHistory pages through a container's status samples.
func (s *Server) handleContainerHistory(w http.ResponseWriter, r *http.Request) {
	s.serveUnitHistory(w, r, homelabcmd.KindContainer, "container_name")
}

// handleContainerAction queues a restart, start or stop of a container
// through the action queue (approval in maintenance, one active per
// container, crash-loop guard, audit).
func (s *Server) handleContainerAction(verb string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		typ, err := homelabcmd.UnitActionType(homelabcmd.KindContainer, verb)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		a, err := s.engine.CreateUnitAction(r.Context(), r.PathValue("id"), typ.Name, r.PathValue("name"), actor(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"action_id": a.ID, "action_type": a.ActionType, "server_id": a.ServerID,
			"container_name": a.ServiceName, "command": a.Command, "status": a.Status, "created_at": a.CreatedAt,
			"approved_at": a.ApprovedAt, "approved_by": a.ApprovedBy})
	}
}
