package httpapi

import (
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// serverResponse is the contract's ServerResponse: every field present.
func serverResponse(s *homelabcmd.Server, latest *homelabcmd.MetricsSample) *homelabcmd.ServerOverview {
	return &homelabcmd.ServerOverview{Server: s, LatestMetrics: latest, ActiveAlertSummaries: []string{}}
}

func (s *Server) handleListServers(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ServerOverviews(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"servers": list, "total": len(list)})
}

func (s *Server) handleGetServer(w http.ResponseWriter, r *http.Request) {
	srv, err := s.store.FindServer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	latest, err := s.store.LatestMetrics(r.Context(), srv.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, serverResponse(srv, latest))
}

func (s *Server) handleCreateServer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID          string  `json:"id"`
		Hostname    string  `json:"hostname"`
		DisplayName *string `json:"display_name"`
		IPAddress   *string `json:"ip_address"`
		TDPWatts    *int    `json:"tdp_watts"`
		MachineType string  `json:"machine_type"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	srv := &homelabcmd.Server{ID: body.ID, Hostname: body.Hostname, DisplayName: body.DisplayName,
		IPAddress: body.IPAddress, TDPWatts: body.TDPWatts, MachineType: body.MachineType}
	if srv.ID == "" {
		s.writeError(w, r, homelabcmd.FieldError("id", "id is required"))
		return
	}
	if err := validateServerBody(srv); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.CreateServer(r.Context(), srv); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, serverResponse(srv, nil))
}

// validateServerBody names the body field "id" rather than "server_id".
func validateServerBody(srv *homelabcmd.Server) error {
	if err := homelabcmd.ValidateServerID(srv.ID); err != nil {
		return homelabcmd.FieldError("id", "%s", homelabcmd.ErrorMessage(err))
	}
	return srv.Validate()
}

func (s *Server) handleUpdateServer(w http.ResponseWriter, r *http.Request) {
	var upd homelabcmd.ServerUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	srv, err := s.store.UpdateServer(r.Context(), r.PathValue("id"), upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, serverResponse(srv, nil))
}

func (s *Server) handleDeleteServer(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteServer(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handlePause returns a handler that turns maintenance mode on or off.
func (s *Server) handlePause(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		srv, err := s.engine.SetServerPaused(r.Context(), r.PathValue("id"), paused)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, serverResponse(srv, nil))
	}
}
