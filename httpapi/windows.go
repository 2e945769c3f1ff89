package httpapi

import (
	"context"
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// WindowStore lists maintenance windows (quiet hours); they are created
// and deleted through the engine, which reads them when it decides whom to
// notify.
type WindowStore interface {
	ListMaintenanceWindows(ctx context.Context) ([]homelabcmd.MaintenanceWindow, error)
}

func (s *Server) handleListWindows(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListMaintenanceWindows(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"windows": list, "total": len(list)})
}

func (s *Server) handleCreateWindow(w http.ResponseWriter, r *http.Request) {
	var win homelabcmd.MaintenanceWindow
	if err := decodeJSON(w, r, &win); err != nil {
		s.writeError(w, r, err)
		return
	}
	win.ID = 0
	if err := s.engine.CreateMaintenanceWindow(r.Context(), &win); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, win)
}

func (s *Server) handleDeleteWindow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "wid", "maintenance window")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.DeleteMaintenanceWindow(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
