package httpapi

import (
	"context"
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// WindowStore keeps maintenance windows (quiet hours); the engine reads
// them when it decides whom to notify.
type WindowStore interface {
	ListMaintenanceWindows(ctx context.Context) ([]homelabcmd.MaintenanceWindow, error)
	CreateMaintenanceWindow(ctx context.Context, w *homelabcmd.MaintenanceWindow) error
	DeleteMaintenanceWindow(ctx context.Context, id int64) error
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
	if err := s.store.CreateMaintenanceWindow(r.Context(), &win); err != nil {
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
	if err := s.store.DeleteMaintenanceWindow(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
