package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/live"
)

// ActionStore keeps remediation actions and their audit trail.
type ActionStore interface {
	FindAction(ctx context.Context, id int64) (*homelabcmd.Action, error)
	ListActions(ctx context.Context, f homelabcmd.ActionFilter) ([]*homelabcmd.Action, int, error)
	HasApprovedActions(ctx context.Context, serverID string) (bool, error)
}

// handleRestart queues a restart of a service (expected or not, running or
// not, as in the original story).
func (s *Server) handleRestart(w http.ResponseWriter, r *http.Request) {
	a, err := s.engine.CreateRestart(r.Context(), r.PathValue("id"), r.PathValue("name"), actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"action_id": a.ID, "action_type": a.ActionType, "server_id": a.ServerID,
		"service_name": a.ServiceName, "command": a.Command, "status": a.Status, "created_at": a.CreatedAt,
		"approved_at": a.ApprovedAt, "approved_by": a.ApprovedBy})
}

// handleCreateAction creates an action of a whitelisted type (the
// original's POST /api/v1/actions): 201 with the action; 422 for an unknown
// type or a missing field, 403 for a type not on the whitelist.
func (s *Server) handleCreateAction(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ServerID    *string `json:"server_id"`
		ActionType  *string `json:"action_type"`
		ServiceName *string `json:"service_name"`
		AlertID     *int64  `json:"alert_id"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.ServerID == nil {
		s.writeError(w, r, homelabcmd.FieldError("server_id", "server_id is required"))
		return
	}
	if err := homelabcmd.ValidateServerID(*body.ServerID); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.ActionType == nil {
		s.writeError(w, r, homelabcmd.FieldError("action_type", "action_type is required"))
		return
	}
	if body.AlertID != nil && *body.AlertID < 1 {
		s.writeError(w, r, homelabcmd.FieldError("alert_id", "alert_id must be at least 1"))
		return
	}
	svc := ""
	if body.ServiceName != nil {
		svc = *body.ServiceName
	}
	a, err := s.engine.CreateAction(r.Context(), *body.ServerID, *body.ActionType, svc, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

// handleUpgradeAgent queues an upgrade of a server's agent to the hub's
// version (approval in maintenance, one active per server, audited).
func (s *Server) handleUpgradeAgent(w http.ResponseWriter, r *http.Request) {
	a, err := s.engine.CreateUpgrade(r.Context(), r.PathValue("id"), actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, upgradeAnswer(a))
}

func upgradeAnswer(a *homelabcmd.Action) map[string]any {
	return map[string]any{"action_id": a.ID, "action_type": a.ActionType, "server_id": a.ServerID,
		"command": a.Command, "target_version": homelabcmd.UpgradeTarget(a.Command), "status": a.Status,
		"created_at": a.CreatedAt, "approved_at": a.ApprovedAt, "approved_by": a.ApprovedBy}
}

// handleUpgradeOutdated queues an agent upgrade for every online server
// whose agent reports another version than the hub's. Servers with an
// upgrade already active are listed as skipped with that action's id.
func (s *Server) handleUpgradeOutdated(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListServers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	queued, ids, skipped := []map[string]any{}, []int64{}, []map[string]any{}
	for _, srv := range list {
		if srv.Status != homelabcmd.ServerOnline || srv.IsInactive || !srv.AgentOutdated {
			continue
		}
		a, err := s.engine.CreateUpgrade(r.Context(), srv.ID, actor(r))
		if err != nil {
			var e *homelabcmd.Error
			if errors.As(err, &e) && e.Code == homelabcmd.ECONFLICT {
				skipped = append(skipped, map[string]any{"server_id": srv.ID, "reason": e.Message, "existing_action_id": e.Data["existing_action_id"]})
				continue
			}
			s.writeError(w, r, err)
			return
		}
		ids = append(ids, a.ID)
		queued = append(queued, upgradeAnswer(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"target_version": homelabcmd.Version, "action_ids": ids, "actions": queued, "skipped": skipped})
}

func actionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil || id < 1 {
		return 0, homelabcmd.FieldError("path.action_id", "action id must be a positive integer")
	}
	return id, nil
}

func (s *Server) handleListActions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := homelabcmd.ActionFilter{Status: q.Get("status"), ServerID: q.Get("server_id"), ActionType: q.Get("action_type")}
	if id := r.PathValue("id"); id != "" {
		if _, err := s.store.FindServer(r.Context(), id); err != nil {
			s.writeError(w, r, err)
			return
		}
		f.ServerID = id
	}
	var err error
	if f.Limit, err = queryInt(q.Get("limit"), "limit", 50, 1, 100); err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.Offset, err = queryInt(q.Get("offset"), "offset", 0, 0, 1<<30); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.store.ListActions(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"actions": list, "total": total, "limit": f.Limit, "offset": f.Offset})
}

func (s *Server) handleGetAction(w http.ResponseWriter, r *http.Request) {
	id, err := actionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.store.FindAction(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// handleActionTransition serves approve, reject and cancel.
func (s *Server) handleActionTransition(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := actionID(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var a *homelabcmd.Action
		switch op {
		case "approve":
			a, err = s.engine.ApproveAction(r.Context(), id, actor(r))
		case "cancel":
			a, err = s.engine.CancelAction(r.Context(), id, actor(r))
		case "reject":
			var body struct {
				Reason string `json:"reason"`
			}
			if err := decodeJSON(w, r, &body); err != nil {
				s.writeError(w, r, err)
				return
			}
			a, err = s.engine.RejectAction(r.Context(), id, actor(r), body.Reason)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}

// commandPollMax bounds a long-poll; commandRecheck is how often a waiting
// poll looks at the database anyway on PostgreSQL, so a restart queued on
// another hub still arrives within seconds if its notification was lost
// (a dropped LISTEN connection); 5,000 agents at 5 s are 1,000 small reads
// a second. On SQLite every action is queued by this process, whose event
// wakes the poll: a recheck there was a write transaction every 2 s per
// agent for nothing (most of an idle hub's CPU with its built-in agent,
// docs/performance.md).
const (
	commandPollMax = 55 * time.Second
	commandRecheck = 5 * time.Second
)

// handleAgentCommands is the agent's open line to the hub: a long-poll that
// answers as soon as an approved action exists for the agent's server (the
// action is then executing), or with an empty list when wait runs out.
func (s *Server) handleAgentCommands(w http.ResponseWriter, r *http.Request) {
	serverID, err := s.agentServer(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wait := 25 * time.Second
	if v := r.URL.Query().Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > int(commandPollMax.Seconds()) {
			s.writeError(w, r, homelabcmd.FieldError("query.wait", "wait must be 0-55 seconds"))
			return
		}
		wait = time.Duration(n) * time.Second
	}
	// The long-poll outlives the server's write timeout: allow it to answer
	// after waiting (and a slow database) at most.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + 30*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	// Only this server's action events: every agent holds a long-poll, and
	// one subscriber per agent to every event cost the commit path dearly.
	events := s.events.SubscribeTo(ctx, live.ActionChanged, serverID)
	var recheck <-chan time.Time
	if s.store.EngineName() == "postgres" {
		t := time.NewTicker(commandRecheck)
		defer t.Stop()
		recheck = t.C
	}
	for {
		cmds, err := s.claimCommands(r.Context(), serverID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(cmds) > 0 {
			writeJSON(w, http.StatusOK, map[string]any{"commands": cmds})
			return
		}
		select {
		case <-ctx.Done():
			writeJSON(w, http.StatusOK, map[string]any{"commands": []homelabcmd.PendingCommand{}})
			return
		case <-s.shutdown:
			writeJSON(w, http.StatusOK, map[string]any{"commands": []homelabcmd.PendingCommand{}})
			return
		case <-recheck:
		case _, ok := <-events:
			if !ok {
				events = nil // ctx ended: the case above answers
			}
		}
	}
}

// claimCommands claims the server's approved actions. Nearly always there
// are none: a read (which SQLite serves beside the writer) says so before
// the write transaction of the claim, so thousands of waiting agents do not
// queue write transactions in front of their own heartbeats.
func (s *Server) claimCommands(ctx context.Context, serverID string) ([]homelabcmd.PendingCommand, error) {
	approved, err := s.store.HasApprovedActions(ctx, serverID)
	if err != nil || !approved {
		return []homelabcmd.PendingCommand{}, err
	}
	return s.engine.ClaimCommands(ctx, serverID)
}

// agentServer is the server an agent request speaks for: the one its token
// is bound to, or with the operator key the server_id query parameter.
func (s *Server) agentServer(r *http.Request) (string, error) {
	bound, err := s.agentAuth(r)
	if err != nil {
		return "", err
	}
	q := r.URL.Query().Get("server_id")
	if bound != "" {
		if q != "" && q != bound {
			return "", homelabcmd.Errorf(homelabcmd.EFORBIDDEN, "This agent token belongs to server '%s'", bound)
		}
		return bound, nil
	}
	if err := homelabcmd.ValidateServerID(q); err != nil {
		return "", homelabcmd.FieldError("query.server_id", "server_id is required with the API key: %s", homelabcmd.ErrorMessage(err))
	}
	return q, nil
}

// handleCommandResult records the outcome of an action the agent carried out.
func (s *Server) handleCommandResult(w http.ResponseWriter, r *http.Request) {
	serverID, err := s.agentServer(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := actionID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var res homelabcmd.ActionResult
	if err := decodeJSON(w, r, &res); err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.DurationMS < 0 {
		s.writeError(w, r, homelabcmd.FieldError("duration_ms", "must not be negative"))
		return
	}
	a, err := s.engine.CompleteAction(r.Context(), serverID, id, res)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
