package httpapi

import (
	"net"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/live"
)

// handleHeartbeat stores an agent's report and answers with the commands and
// the expected services the agent should watch.
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fail := func(err error) {
		s.Observer.HeartbeatRejected(errorStatus[homelabcmd.ErrorCode(err)].status)
		s.writeError(w, r, err)
	}
	bound, err := s.agentAuth(r)
	if err != nil {
		fail(err)
		return
	}
	var hb homelabcmd.Heartbeat
	if err := decodeJSON(w, r, &hb); err != nil {
		fail(err)
		return
	}
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	res, err := s.store.Ingest(r.Context(), &hb, homelabcmd.IngestMeta{BoundServerID: bound, PeerIP: peer})
	if err != nil {
		fail(err)
		return
	}
	auth := "agent_token"
	if bound == "" {
		auth = "api_key"
	}
	s.Observer.HeartbeatStored(auth, time.Since(start))
	s.events.Publish(live.Event{Type: live.ServerUpdated, ServerID: res.ServerID})
	if res.AlertTransitions > 0 {
		// Dashboards refresh their alerts; dispatchers wake for the outbox.
		s.events.Publish(live.Event{Type: live.AlertChanged, ServerID: res.ServerID})
	}
	for _, c := range res.Changes {
		s.events.Publish(live.Event{Type: live.ServiceChanged, ServerID: res.ServerID,
			Data: map[string]any{"service_name": c.ServiceName, "status": c.To, "previous_status": c.From}})
	}
	writeJSON(w, http.StatusOK, homelabcmd.HeartbeatResponse{
		Status:              "ok",
		ServerRegistered:    res.ServerRegistered,
		PendingCommands:     res.PendingCommands,
		ResultsAcknowledged: []int64{},
		ExpectedServices:    res.ExpectedServices,
	})
}
