package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// channelResponse shows a channel with its secrets masked.
func channelResponse(c *homelabcmd.Channel) (*homelabcmd.Channel, error) {
	out := *c
	red, err := registry.Redact(c.Type, c.Config)
	if err != nil {
		return nil, err
	}
	out.Config = red
	return &out, nil
}

func (s *Server) handleListChannels(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListChannels(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]*homelabcmd.Channel, 0, len(list))
	for i := range list {
		c, err := channelResponse(&list[i])
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out, "total": len(out), "types": registry.Kinds()})
}

func (s *Server) handleGetChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "cid", "channel")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.store.FindChannel(r.Context(), id)
	if err == nil {
		c, err = channelResponse(c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// createChannelRequest has pointer switches so that omitted ones default on.
type createChannelRequest struct {
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	Config       json.RawMessage `json:"config"`
	MinSeverity  string          `json:"min_severity"`
	SendResolved *bool           `json:"send_resolved"`
	Enabled      *bool           `json:"enabled"`
	ServerIDs    []string        `json:"server_ids"`
	AlertTypes   []string        `json:"alert_types"`
	Severities   []string        `json:"severities"`
}

func (s *Server) handleCreateChannel(w http.ResponseWriter, r *http.Request) {
	var req createChannelRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := notify.NewChannel(req.Name, req.Type, req.Config)
	c.MinSeverity = req.MinSeverity
	if req.SendResolved != nil {
		c.SendResolved = *req.SendResolved
	}
	if req.Enabled != nil {
		c.Enabled = *req.Enabled
	}
	c.ServerIDs, c.AlertTypes, c.Severities = req.ServerIDs, req.AlertTypes, req.Severities
	err := s.engine.CreateChannel(r.Context(), c)
	if err == nil {
		c, err = channelResponse(c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) handleUpdateChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "cid", "channel")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var upd homelabcmd.ChannelUpdate
	if err := decodeJSON(w, r, &upd); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.engine.UpdateChannel(r.Context(), id, upd)
	if err == nil {
		c, err = channelResponse(c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleDeleteChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "cid", "channel")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteChannel(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleTestChannel sends a test message at once (not through the outbox)
// and reports the outcome; the error text holds no secret.
func (s *Server) handleTestChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "cid", "channel")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.store.FindChannel(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := registry.Build(c.Type, c.Config, s.NotifyGuard, s.logger)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := n.Notify(ctx, testMessage(time.Now())); err != nil {
		msg := notify.Scrub(err.Error(), registry.Secrets(c.Type, c.Config)...)
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": msg, "retryable": notify.Retryable(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Test message sent successfully"})
}

// handleListProviders describes each provider's config fields, from which
// the dashboard generates its channel form.
func (s *Server) handleListProviders(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"providers": registry.Providers()})
}
