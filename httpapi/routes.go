package httpapi

import (
	"net/http"
	"strconv"

	"github.com/homelabcmd/homelabcmd/web"
)

// routes is the API's one route table. "op" marks the operator API (API key
// or dashboard session); the heartbeat authenticates agents itself.
func (s *Server) routes() {
	op := s.operator
	s.mux.HandleFunc("GET /api/v1/system/health", s.handleHealth)

	s.mux.HandleFunc("POST /api/v1/auth/login", s.handleLogin)
	s.mux.HandleFunc("POST /api/v1/auth/logout", s.handleLogout)
	s.mux.HandleFunc("GET /api/v1/auth/session", op(s.handleSession))

	s.mux.HandleFunc("POST /api/v1/agents/heartbeat", s.handleHeartbeat)
	s.mux.HandleFunc("POST /api/v1/agents/register/tokens", op(s.handleCreateRegistrationToken))
	s.mux.HandleFunc("GET /api/v1/agents/register/tokens", op(s.handleListRegistrationTokens))
	s.mux.HandleFunc("DELETE /api/v1/agents/register/tokens/{tid}", op(s.handleDeleteRegistrationToken))
	s.mux.HandleFunc("POST /api/v1/agents/register/claim", s.handleClaim)
	s.mux.HandleFunc("GET /api/v1/agents/register/install.sh", s.handleInstallScript)
	s.mux.HandleFunc("GET /api/v1/agents/register/credentials/{guid}", op(s.handleGetCredential))
	s.mux.HandleFunc("POST /api/v1/agents/register/credentials/{guid}/rotate", op(s.handleRotateCredential))
	s.mux.HandleFunc("POST /api/v1/agents/register/credentials/{guid}/revoke", op(s.handleRevokeCredential))
	s.mux.HandleFunc("GET /api/v1/agents/download/{arch}", s.handleDownloadAgent)
	s.mux.HandleFunc("GET /api/v1/agents/commands", s.handleAgentCommands)
	s.mux.HandleFunc("POST /api/v1/agents/commands/{aid}/result", s.handleCommandResult)

	s.mux.HandleFunc("GET /api/v1/servers", op(s.handleListServers))
	s.mux.HandleFunc("POST /api/v1/servers", op(s.handleCreateServer))
	s.mux.HandleFunc("GET /api/v1/servers/{id}", op(s.handleGetServer))
	s.mux.HandleFunc("PUT /api/v1/servers/{id}", op(s.handleUpdateServer))
	s.mux.HandleFunc("DELETE /api/v1/servers/{id}", op(s.handleDeleteServer))
	s.mux.HandleFunc("PUT /api/v1/servers/{id}/pause", op(s.handlePause(true)))
	s.mux.HandleFunc("PUT /api/v1/servers/{id}/unpause", op(s.handlePause(false)))
	s.mux.HandleFunc("GET /api/v1/servers/{id}/metrics", op(s.handleMetrics))

	s.mux.HandleFunc("GET /api/v1/servers/{id}/services", op(s.handleListServices))
	s.mux.HandleFunc("POST /api/v1/servers/{id}/services", op(s.handleCreateService))
	s.mux.HandleFunc("PUT /api/v1/servers/{id}/services/{name}", op(s.handleUpdateService))
	s.mux.HandleFunc("DELETE /api/v1/servers/{id}/services/{name}", op(s.handleDeleteService))
	s.mux.HandleFunc("GET /api/v1/servers/{id}/services/{name}/history", op(s.handleServiceHistory))
	s.mux.HandleFunc("GET /api/v1/servers/{id}/services/{name}/uptime", op(s.handleServiceUptime))
	s.mux.HandleFunc("POST /api/v1/servers/{id}/services/{name}/restart", op(s.handleRestart))
	s.mux.HandleFunc("GET /api/v1/servers/{id}/actions", op(s.handleListActions))

	s.mux.HandleFunc("GET /api/v1/actions", op(s.handleListActions))
	s.mux.HandleFunc("GET /api/v1/actions/{aid}", op(s.handleGetAction))
	s.mux.HandleFunc("POST /api/v1/actions/{aid}/approve", op(s.handleActionTransition("approve")))
	s.mux.HandleFunc("POST /api/v1/actions/{aid}/reject", op(s.handleActionTransition("reject")))
	s.mux.HandleFunc("POST /api/v1/actions/{aid}/cancel", op(s.handleActionTransition("cancel")))

	s.mux.HandleFunc("GET /api/v1/alerts", op(s.handleListAlerts))
	s.mux.HandleFunc("GET /api/v1/alerts/pending", op(s.handlePendingAlerts))
	s.mux.HandleFunc("GET /api/v1/alerts/kinds", op(s.handleAlertKinds))
	s.mux.HandleFunc("GET /api/v1/alerts/{alid}", op(s.handleGetAlert))
	s.mux.HandleFunc("POST /api/v1/alerts/{alid}/acknowledge", op(s.handleAcknowledgeAlert))
	s.mux.HandleFunc("POST /api/v1/alerts/{alid}/resolve", op(s.handleResolveAlert))
	s.mux.HandleFunc("GET /api/v1/config", op(s.handleGetConfig))
	s.mux.HandleFunc("PUT /api/v1/config/notifications", op(s.handlePutLegacyNotifications))
	s.mux.HandleFunc("GET /api/v1/config/thresholds", op(s.handleGetThresholds))
	s.mux.HandleFunc("PUT /api/v1/config/thresholds", op(s.handlePutThresholds))
	s.mux.HandleFunc("GET /api/v1/notifications/channels", op(s.handleListChannels))
	s.mux.HandleFunc("POST /api/v1/notifications/channels", op(s.handleCreateChannel))
	s.mux.HandleFunc("GET /api/v1/notifications/channels/{cid}", op(s.handleGetChannel))
	s.mux.HandleFunc("PUT /api/v1/notifications/channels/{cid}", op(s.handleUpdateChannel))
	s.mux.HandleFunc("DELETE /api/v1/notifications/channels/{cid}", op(s.handleDeleteChannel))
	s.mux.HandleFunc("POST /api/v1/notifications/channels/{cid}/test", op(s.handleTestChannel))
	s.mux.HandleFunc("GET /api/v1/maintenance-windows", op(s.handleListWindows))
	s.mux.HandleFunc("POST /api/v1/maintenance-windows", op(s.handleCreateWindow))
	s.mux.HandleFunc("DELETE /api/v1/maintenance-windows/{wid}", op(s.handleDeleteWindow))

	s.mux.HandleFunc("GET /api/openapi.json", s.handleOpenAPI)
	s.mux.HandleFunc("GET /api/docs", s.handleDocs)

	s.mux.HandleFunc("GET /api/v1/events", op(s.handleEvents))
	s.mux.HandleFunc("/api/", s.handleNotFound)
	s.mux.Handle("/", web.Handler())
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]any{"detail": map[string]string{"code": "NOT_FOUND", "message": "No such endpoint: " + r.Method + " " + r.URL.Path}})
}

func itoa(i int) string { return strconv.Itoa(i) }
