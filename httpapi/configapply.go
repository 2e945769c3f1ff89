package httpapi

import (
	"context"
	"net/http"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
)

// Applying a configuration pack (the original's config_apply routes): an
// action through the approval queue that the hub carries out over SSH once
// a person approved it (POST /api/v1/actions/{aid}/approve). Queuing one is
// for admins; the apply id is the action's id.
func (s *Server) configApplyRoutes() {
	s.route("POST /api/v1/servers/{id}/config/apply", admin, s.handleConfigApply)
	s.route("GET /api/v1/servers/{id}/config/apply/{aid}", viewer, s.handleGetConfigApply)
	s.route("DELETE /api/v1/servers/{id}/config/apply", admin, s.handleCancelConfigApply)
}

// applyAnswer is an apply: its action, and its result once finished.
func applyAnswer(a *homelabcmd.Action, res *agentless.ApplyResult) map[string]any {
	return map[string]any{"apply_id": a.ID, "server_id": a.ServerID, "pack_name": homelabcmd.ApplyPackTarget(a.Command),
		"status": a.Status, "action": a, "result": res}
}

func (s *Server) handleConfigApply(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PackName string `json:"pack_name"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.PackName == "" {
		s.writeError(w, r, homelabcmd.FieldError("pack_name", "pack_name is required"))
		return
	}
	if s.Agentless.Pack(body.PackName) == nil {
		s.writeError(w, r, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Field: "pack_name", Message: "Unknown pack '" + body.PackName + "'",
			Data: map[string]any{"code": "UNKNOWN_PACK"}})
		return
	}
	a, err := s.engine.CreatePackApply(r.Context(), r.PathValue("id"), body.PackName, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, applyAnswer(a, nil))
}

// handleGetConfigApply answers an apply with its per-item result and the
// compliance check made after it (result null until it finished).
func (s *Server) handleGetConfigApply(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "aid", "apply")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.store.FindAction(r.Context(), id)
	if err == nil && (a.ServerID != r.PathValue("id") || a.ActionType != homelabcmd.ActionApplyConfigPack) {
		err = homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Apply %d not found on server '%s'", id, r.PathValue("id"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Agentless.ApplyResultOf(r.Context(), a.ServerID, id)
	if homelabcmd.IsNotFound(err) {
		res, err = nil, nil
	}
	s.reply(w, r, http.StatusOK, applyAnswer(a, res), err)
}

// handleCancelConfigApply cancels the server's apply that has not started
// (pending or approved). 404 when there is none.
func (s *Server) handleCancelConfigApply(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.FindServer(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, st := range []string{homelabcmd.ActionPending, homelabcmd.ActionApproved} {
		list, _, err := s.store.ListActions(r.Context(), homelabcmd.ActionFilter{ServerID: r.PathValue("id"), Status: st,
			ActionType: homelabcmd.ActionApplyConfigPack, Limit: 1})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(list) > 0 {
			a, err := s.engine.CancelAction(r.Context(), list[0].ID, actor(r))
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, applyAnswer(a, nil))
			return
		}
	}
	s.writeError(w, r, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Server '%s' has no apply waiting to start", r.PathValue("id")))
}

// agentCommands is the approval queue and event broker as
// agentless.AgentQueue: whitelisted commands through the agent.
type agentCommands struct{ s *Server }

func (a agentCommands) CreateAgentCommand(ctx context.Context, serverID, command, actor string) (*homelabcmd.Action, error) {
	return a.s.engine.CreateAgentCommand(ctx, serverID, command, actor)
}

func (a agentCommands) FindAction(ctx context.Context, id int64) (*homelabcmd.Action, error) {
	return a.s.store.FindAction(ctx, id)
}

func (a agentCommands) CancelAction(ctx context.Context, id int64, actor string) (*homelabcmd.Action, error) {
	return a.s.engine.CancelAction(ctx, id, actor)
}

func (a agentCommands) Subscribe(ctx context.Context) <-chan homelabcmd.Event {
	return a.s.events.Subscribe(ctx)
}
