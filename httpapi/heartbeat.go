package httpapi

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// handleHeartbeat stores an agent's report and answers with the commands and
// the expected services the agent should watch.
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fail := func(err error) {
		s.Observer.HeartbeatRejected(statusOf(r, err))
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
	meta := homelabcmd.IngestMeta{BoundServerID: bound, PeerIP: peer}
	if bound != "" {
		meta.TokenGUID = strings.TrimSpace(r.Header.Get("X-Server-GUID"))
	}
	res, err := s.engine.Ingest(r.Context(), &hb, meta)
	if err != nil {
		fail(err)
		return
	}
	if hb.HasInventory() {
		s.saveInventory(r.Context(), res.ServerID, &hb)
	}
	if res.Checks == nil {
		res.Checks = []homelabcmd.CheckSpec{}
	}
	auth := "agent_token"
	if bound == "" {
		auth = "api_key"
	}
	s.Observer.HeartbeatStored(auth, time.Since(start))
	writeJSON(w, http.StatusOK, homelabcmd.HeartbeatResponse{
		Status:              "ok",
		ServerRegistered:    res.ServerRegistered,
		PendingCommands:     res.PendingCommands,
		ResultsAcknowledged: res.ResultsAcknowledged,
		ExpectedServices:    res.ExpectedServices,
		ExpectedContainers:  res.ExpectedContainers,
		Checks:              res.Checks,
	})
}
