package httpapi

import (
	"net/http"

	"github.com/homelabcmd/homelabcmd/agentless"
)

// Scheduled scans and the connectivity mode (the original's
// /settings/connectivity routes).
func (s *Server) scheduleConnectivityRoutes() {
	s.route("GET /api/v1/scans/schedules", viewer, s.handleListScanSchedules)
	s.route("PUT /api/v1/scans/schedules", admin, s.handlePutScanSchedule)
	s.route("DELETE /api/v1/scans/schedules/{addr}", admin, s.handleDeleteScanSchedule)
	s.route("GET /api/v1/settings/connectivity", viewer, s.handleGetConnectivity)
	s.route("PUT /api/v1/settings/connectivity", admin, s.handlePutConnectivity)
	s.route("GET /api/v1/settings/connectivity/status", viewer, s.handleConnectivityStatus)
	s.route("POST /api/v1/settings/tailscale/oauth", admin, s.handleSetTailscaleOAuth)
	s.route("DELETE /api/v1/settings/tailscale/oauth", admin, s.handleDeleteTailscaleOAuth)
}

// handleSetTailscaleOAuth stores a Tailscale OAuth client (secret sealed,
// never returned); it is used instead of an API key.
func (s *Server) handleSetTailscaleOAuth(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Tailnet      string `json:"tailnet"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Agentless.SetTailscaleOAuth(r.Context(), actor(r), body.ClientID, body.ClientSecret, body.Tailnet)
	s.reply(w, r, http.StatusOK, st, err)
}

func (s *Server) handleDeleteTailscaleOAuth(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.Agentless.DeleteTailscaleOAuth(r.Context(), actor(r)))
}

// scheduleAnswer is a schedule with its key and next run.
func scheduleAnswer(c agentless.ScanSchedule) map[string]any {
	return map[string]any{"id": c.Key(), "hostname": c.Hostname, "port": c.Port, "username": c.Username, "scan_type": c.ScanType,
		"interval_minutes": c.IntervalMinutes, "enabled": c.Enabled, "last_run_at": c.LastRunAt, "last_scan_id": c.LastScanID,
		"last_error": c.LastError, "next_run_at": c.NextRunAt(), "created_by": c.CreatedBy}
}

func (s *Server) handleListScanSchedules(w http.ResponseWriter, r *http.Request) {
	list, err := s.Agentless.ScanSchedules(r.Context())
	out := make([]map[string]any, 0, len(list))
	for _, c := range list {
		out = append(out, scheduleAnswer(c))
	}
	s.reply(w, r, http.StatusOK, map[string]any{"schedules": out, "total": len(out)}, err)
}

func (s *Server) handlePutScanSchedule(w http.ResponseWriter, r *http.Request) {
	var body agentless.ScanScheduleRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Agentless.SetScanSchedule(r.Context(), actor(r), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, scheduleAnswer(*c))
}

func (s *Server) handleDeleteScanSchedule(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.Agentless.DeleteScanSchedule(r.Context(), actor(r), r.PathValue("addr")))
}

func (s *Server) handleGetConnectivity(w http.ResponseWriter, r *http.Request) {
	c, err := s.Agentless.Connectivity(r.Context())
	s.reply(w, r, http.StatusOK, c, err)
}

func (s *Server) handlePutConnectivity(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Mode        string  `json:"mode"`
		SSHUsername *string `json:"ssh_username"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Agentless.SetConnectivity(r.Context(), actor(r), body.Mode, body.SSHUsername)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "mode": c.Mode, "message": "Connectivity mode set to " + c.Mode, "settings": c})
}

// handleConnectivityStatus says whether the chosen mode can be used: a
// Tailscale API key for tailscale, a default SSH key for direct_ssh.
func (s *Server) handleConnectivityStatus(w http.ResponseWriter, r *http.Request) {
	c, err := s.Agentless.Connectivity(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ready, detail := c.SSH.KeyConfigured, "direct SSH with the default key"
	if !ready {
		detail = "no default SSH key: add one under SSH settings"
	}
	if c.Mode == agentless.ModeTailscale {
		ready, detail = c.Tailscale.Configured && c.SSH.KeyConfigured, "SSH over the tailnet "+c.Tailscale.Tailnet
		if !c.Tailscale.Configured {
			detail = "Tailscale API key missing"
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"mode": c.Mode, "ready": ready, "detail": detail, "tailscale": c.Tailscale, "ssh": c.SSH})
}
