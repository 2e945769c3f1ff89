package httpapi

import (
	"net/http"

	"github.com/homelabcmd/homelabcmd/alerting"
)

func (s *Server) handleGetThresholds(w http.ResponseWriter, r *http.Request) {
	th, err := s.engine.Thresholds(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, th)
}

func (s *Server) handlePutThresholds(w http.ResponseWriter, r *http.Request) {
	var p alerting.ThresholdsPatch
	if err := decodeJSON(w, r, &p); err != nil {
		s.writeError(w, r, err)
		return
	}
	th, updated, err := s.engine.UpdateThresholds(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"updated": updated, "thresholds": th})
}

// handlePinned lists the thresholds the hub's configuration sets explicitly
// (flag, environment, file): they win over stored values and the dashboard
// shows them read-only with their source.
func (s *Server) handlePinned(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"pinned": s.engine.Pinned()})
}
