package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
)

// deployTimeout bounds an install, upgrade or removal over SSH; the work
// goes on when the client hangs up, so a machine is not left half-done.
const deployTimeout = 10 * time.Minute

// agentDeployRoutes are the original's agent_deploy routes: push install,
// upgrade, removal and reactivation over SSH (package agentless).
func (s *Server) agentDeployRoutes() {
	if s.Agentless != nil {
		s.Agentless.AgentBinary = s.agentSource
	}
	s.route("GET /api/v1/agents/version", viewer, s.handleAgentVersion)
	s.route("POST /api/v1/agents/install", admin, s.handleInstallAgent)
	s.route("POST /api/v1/agents/{id}/upgrade", admin, s.handleUpgradeAgentSSH)
	s.route("POST /api/v1/agents/{id}/remove", admin, s.handleRemoveAgent)
	s.route("PUT /api/v1/agents/{id}/activate", admin, s.handleActivateAgent)
}

// agentSource is the binary and checksum the download route serves.
func (s *Server) agentSource(arch string) (string, string, error) {
	f, err := s.agentBinary(arch)
	if err != nil {
		return "", "", err
	}
	return f.path, f.sha256, nil
}

// deployReply answers with the original's string detail for 404, 409 and
// 400, and the usual error body otherwise.
func (s *Server) deployReply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, v)
		return
	}
	switch homelabcmd.ErrorCode(err) {
	case homelabcmd.ENOTFOUND:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": homelabcmd.ErrorMessage(err)})
	case homelabcmd.ECONFLICT:
		writeJSON(w, http.StatusConflict, map[string]any{"detail": homelabcmd.ErrorMessage(err)})
	default:
		s.writeError(w, r, err)
	}
}

// deployContext outlives the request (see deployTimeout) and lets the
// response take as long.
func deployContext(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(deployTimeout + time.Minute))
	return context.WithTimeout(context.WithoutCancel(r.Context()), deployTimeout)
}

func (s *Server) handleAgentVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": s.Version})
}

func (s *Server) handleInstallAgent(w http.ResponseWriter, r *http.Request) {
	var body agentless.AgentInstallRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.HubURL == "" {
		body.HubURL = s.reachableURL(r)
	}
	ctx, cancel := deployContext(w, r)
	defer cancel()
	res, err := s.Agentless.InstallAgent(ctx, actor(r), body)
	s.deployReply(w, r, res, err)
}

func (s *Server) handleUpgradeAgentSSH(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := deployContext(w, r)
	defer cancel()
	res, err := s.Agentless.UpgradeAgent(ctx, actor(r), r.PathValue("id"))
	s.deployReply(w, r, res, err)
}

func (s *Server) handleRemoveAgent(w http.ResponseWriter, r *http.Request) {
	var body agentless.AgentRemoveRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	ctx, cancel := deployContext(w, r)
	defer cancel()
	res, err := s.Agentless.RemoveAgent(ctx, actor(r), r.PathValue("id"), body)
	s.deployReply(w, r, res, err)
}

func (s *Server) handleActivateAgent(w http.ResponseWriter, r *http.Request) {
	srv, err := s.Agentless.ActivateAgent(r.Context(), actor(r), r.PathValue("id"))
	var out any
	if err == nil {
		out = map[string]any{"success": true, "server_id": srv.ID, "message": "Server " + srv.ID + " is active again; its agent's heartbeats are taken",
			"is_inactive": srv.IsInactive}
	}
	s.deployReply(w, r, out, err)
}
