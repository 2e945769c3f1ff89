package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/homelabcmd/homelabcmd"

	"github.com/homelabcmd/homelabcmd/web"
)

// Access is who may call a route: "open" and "agent" routes check what they
// need themselves (nothing, a login, a one-time token; an agent's token);
// the others need a user, session or API token with at least that role.
type Access string

// The access levels of the route table.
const (
	open     Access = "open"
	agent    Access = "agent"
	viewer   Access = Access(homelabcmd.RoleViewer)
	operator Access = Access(homelabcmd.RoleOperator)
	admin    Access = Access(homelabcmd.RoleAdmin)
)

// Route is one row of the route table.
type Route struct {
	Pattern string // "METHOD /path" as registered with the mux
	Access  Access
}

// Routes lists the route table in registration order, for the role matrix
// tests and the documentation.
func (s *Server) Routes() []Route { return slices.Clone(s.table) }

// route registers one row of the route table; role checks happen here and
// nowhere else.
func (s *Server) route(pattern string, a Access, h http.HandlerFunc) {
	s.table = append(s.table, Route{Pattern: pattern, Access: a})
	if a != open && a != agent {
		h = s.authorize(homelabcmd.Role(a), h)
	}
	s.mux.HandleFunc(pattern, h)
}

// routes is the API's one route table: each route with the least role that
// may call it.
func (s *Server) routes() {
	s.route("GET /api/v1/system/health", open, s.handleHealth)

	s.route("POST /api/v1/auth/login", open, s.handleLogin)
	s.route("POST /api/v1/auth/logout", open, s.handleLogout)
	s.route("GET /api/v1/auth/session", viewer, s.handleSession)
	s.route("POST /api/v1/auth/signout-everywhere", viewer, s.handleSignOutEverywhere)
	s.route("GET /api/v1/auth/setup", open, s.handleSetupStatus)
	s.route("POST /api/v1/auth/setup", open, s.handleSetup)
	s.route("GET /api/v1/auth/oidc/login", open, s.handleOIDCLogin)
	s.route("GET /api/v1/auth/oidc/callback", open, s.handleOIDCCallback)

	s.route("GET /api/v1/users", admin, s.handleListUsers)
	s.route("POST /api/v1/users", admin, s.handleCreateUser)
	s.route("PUT /api/v1/users/{user}", admin, s.handleUpdateUser)
	s.route("DELETE /api/v1/users/{user}", admin, s.handleDeleteUser)
	s.route("POST /api/v1/users/{user}/signout", admin, s.handleSignOutUser)
	s.route("GET /api/v1/sessions", admin, s.handleListSessions)
	s.route("DELETE /api/v1/sessions/{sid}", admin, s.handleDeleteSession)
	s.route("GET /api/v1/tokens", admin, s.handleListTokens)
	s.route("POST /api/v1/tokens", admin, s.handleCreateToken)
	s.route("DELETE /api/v1/tokens/{tkid}", admin, s.handleDeleteToken)

	s.route("POST /api/v1/agents/heartbeat", agent, s.handleHeartbeat)
	s.route("POST /api/v1/agents/register/tokens", admin, s.handleCreateRegistrationToken)
	s.route("GET /api/v1/agents/register/tokens", admin, s.handleListRegistrationTokens)
	s.route("DELETE /api/v1/agents/register/tokens/{tid}", admin, s.handleDeleteRegistrationToken)
	s.route("POST /api/v1/agents/register/claim", open, s.handleClaim)
	s.route("GET /api/v1/agents/register/install.sh", open, s.handleInstallScript)
	s.route("GET /api/v1/agents/register/credentials/{guid}", admin, s.handleGetCredential)
	s.route("POST /api/v1/agents/register/credentials/{guid}/rotate", admin, s.handleRotateCredential)
	s.route("POST /api/v1/agents/register/credentials/{guid}/revoke", admin, s.handleRevokeCredential)
	s.route("GET /api/v1/agents/download/{arch}", open, s.handleDownloadAgent)
	s.route("GET /api/v1/agents/download/{arch}/sha256", open, s.handleAgentChecksum)
	s.route("POST /api/v1/agents/upgrade-outdated", operator, s.handleUpgradeOutdated)
	s.route("GET /api/v1/agents/commands", agent, s.handleAgentCommands)
	s.route("POST /api/v1/agents/commands/{aid}/result", agent, s.handleCommandResult)

	s.route("GET /api/v1/servers", viewer, s.handleListServers)
	s.route("POST /api/v1/servers", admin, s.handleCreateServer)
	s.route("GET /api/v1/servers/{id}", viewer, s.handleGetServer)
	s.route("PUT /api/v1/servers/{id}", admin, s.handleUpdateServer)
	s.route("DELETE /api/v1/servers/{id}", admin, s.handleDeleteServer)
	s.route("PUT /api/v1/servers/{id}/pause", admin, s.handlePause(true))
	s.route("PUT /api/v1/servers/{id}/unpause", admin, s.handlePause(false))
	s.route("GET /api/v1/servers/{id}/metrics", viewer, s.handleMetrics)
	s.route("GET /api/v1/servers/{id}/metrics/sparkline", viewer, s.handleSparkline)
	s.route("GET /api/v1/servers/{id}/metrics/export", viewer, s.handleMetricsExport)
	s.route("POST /api/v1/servers/{id}/agent/upgrade", operator, s.handleUpgradeAgent)

	s.route("GET /api/v1/servers/{id}/units", viewer, s.handleServerUnits)
	s.route("GET /api/v1/servers/{id}/services", viewer, s.handleListServices)
	s.route("POST /api/v1/servers/{id}/services", admin, s.handleCreateService)
	s.route("PUT /api/v1/servers/{id}/services/{name}", admin, s.handleUpdateService)
	s.route("DELETE /api/v1/servers/{id}/services/{name}", admin, s.handleDeleteService)
	s.route("GET /api/v1/servers/{id}/services/{name}/history", viewer, s.handleServiceHistory)
	s.route("GET /api/v1/servers/{id}/services/{name}/uptime", viewer, s.handleServiceUptime)
	s.route("POST /api/v1/servers/{id}/services/{name}/restart", operator, s.handleRestart)
	s.route("GET /api/v1/servers/{id}/containers", viewer, s.handleListContainers)
	s.route("POST /api/v1/servers/{id}/containers", operator, s.handleCreateContainer)
	s.route("PUT /api/v1/servers/{id}/containers/{name}", operator, s.handleUpdateContainer)
	s.route("DELETE /api/v1/servers/{id}/containers/{name}", operator, s.handleDeleteContainer)
	s.route("GET /api/v1/servers/{id}/containers/{name}/history", viewer, s.handleContainerHistory)
	s.route("POST /api/v1/servers/{id}/containers/{name}/restart", operator, s.handleContainerAction("restart"))
	s.route("POST /api/v1/servers/{id}/containers/{name}/start", operator, s.handleContainerAction("start"))
	s.route("POST /api/v1/servers/{id}/containers/{name}/stop", operator, s.handleContainerAction("stop"))
	s.route("GET /api/v1/servers/{id}/actions", viewer, s.handleListActions)
	s.route("GET /api/v1/servers/{id}/packages", viewer, s.handleServerPackages)

	s.route("GET /api/v1/actions", viewer, s.handleListActions)
	s.route("POST /api/v1/actions", operator, s.handleCreateAction)
	s.route("GET /api/v1/actions/{aid}", viewer, s.handleGetAction)
	s.route("POST /api/v1/actions/{aid}/approve", operator, s.handleActionTransition("approve"))
	s.route("POST /api/v1/actions/{aid}/reject", operator, s.handleActionTransition("reject"))
	s.route("POST /api/v1/actions/{aid}/cancel", operator, s.handleActionTransition("cancel"))

	s.route("GET /api/v1/alerts", viewer, s.handleListAlerts)
	s.route("GET /api/v1/alerts/pending", viewer, s.handlePendingAlerts)
	s.route("GET /api/v1/alerts/kinds", viewer, s.handleAlertKinds)
	s.route("GET /api/v1/alerts/{alid}", viewer, s.handleGetAlert)
	s.route("POST /api/v1/alerts/{alid}/acknowledge", operator, s.handleAcknowledgeAlert)
	s.route("POST /api/v1/alerts/{alid}/resolve", operator, s.handleResolveAlert)
	s.route("GET /api/v1/config", viewer, s.handleGetConfig)
	s.route("PUT /api/v1/config/notifications", admin, s.handlePutLegacyNotifications)
	s.route("POST /api/v1/config/test-webhook", admin, s.handleTestWebhook)
	s.route("GET /api/v1/config/cost", viewer, s.handleGetCost)
	s.route("PUT /api/v1/config/cost", admin, s.handlePutCost)
	s.route("GET /api/v1/costs/summary", viewer, s.handleCostSummary)
	s.route("GET /api/v1/costs/summary/monthly", viewer, s.handleCostMonthly)
	s.route("GET /api/v1/costs/breakdown", viewer, s.handleCostBreakdown)
	s.route("GET /api/v1/costs/history", viewer, s.handleCostHistory)
	s.route("GET /api/v1/servers/{id}/costs/history", viewer, s.handleServerCostHistory)
	s.route("GET /api/v1/config/thresholds", viewer, s.handleGetThresholds)
	s.route("PUT /api/v1/config/thresholds", admin, s.handlePutThresholds)
	s.route("GET /api/v1/config/pinned", viewer, s.handlePinned)
	s.route("GET /api/v1/notifications/providers", viewer, s.handleListProviders)
	s.route("GET /api/v1/notifications/channels", viewer, s.handleListChannels)
	s.route("POST /api/v1/notifications/channels", admin, s.handleCreateChannel)
	s.route("GET /api/v1/notifications/channels/{cid}", viewer, s.handleGetChannel)
	s.route("PUT /api/v1/notifications/channels/{cid}", admin, s.handleUpdateChannel)
	s.route("DELETE /api/v1/notifications/channels/{cid}", admin, s.handleDeleteChannel)
	s.route("POST /api/v1/notifications/channels/{cid}/test", admin, s.handleTestChannel)
	s.route("GET /api/v1/maintenance-windows", viewer, s.handleListWindows)
	s.route("POST /api/v1/maintenance-windows", admin, s.handleCreateWindow)
	s.route("DELETE /api/v1/maintenance-windows/{wid}", admin, s.handleDeleteWindow)

	s.agentlessRoutes()
	s.agentDeployRoutes()
	s.route("GET /api/v1/preferences/card-order", viewer, s.handleGetPreference("card-order"))
	s.route("PUT /api/v1/preferences/card-order", viewer, s.handlePutPreference("card-order"))
	s.route("GET /api/v1/preferences/section-order", viewer, s.handleGetPreference("section-order"))
	s.route("PUT /api/v1/preferences/section-order", viewer, s.handlePutPreference("section-order"))
	s.route("GET /api/v1/preferences/collapsed-sections", viewer, s.handleGetPreference("collapsed-sections"))
	s.route("PUT /api/v1/preferences/collapsed-sections", viewer, s.handlePutPreference("collapsed-sections"))
	s.route("GET /api/v1/preferences/dashboard", viewer, s.handleGetPreference("dashboard"))
	s.route("PUT /api/v1/preferences/dashboard", viewer, s.handlePutPreference("dashboard"))
	s.route("GET /api/v1/status-page", admin, s.handleGetStatusPage)
	s.route("PUT /api/v1/status-page", admin, s.handlePutStatusPage)
	s.route("GET /api/v1/public/status", open, s.handlePublicStatusJSON)
	s.route("GET /api/v1/checks", viewer, s.handleListChecks)
	s.route("POST /api/v1/checks", operator, s.handleCreateCheck)
	s.route("GET /api/v1/checks/{chid}", viewer, s.handleGetCheck)
	s.route("PUT /api/v1/checks/{chid}", operator, s.handleUpdateCheck)
	s.route("DELETE /api/v1/checks/{chid}", operator, s.handleDeleteCheck)
	s.route("GET /api/v1/checks/{chid}/history", viewer, s.handleCheckHistory)
	s.route("GET /api/v1/checks/{chid}/results", viewer, s.handleCheckResults)

	s.route("GET /api/openapi.json", open, s.handleOpenAPI)
	s.route("GET /api/docs", open, s.handleDocs)

	s.route("GET /api/v1/events", viewer, s.handleEvents)
	// The MCP endpoint authenticates each request itself (verifyMCP):
	// the operator key or a scoped API token, whose role decides its tools.
	s.mux.Handle("/mcp", s.mcpHandler())
	// The public status page (HTML, no login; 404 while it is off) is the
	// page form of GET /api/v1/public/status.
	s.mux.HandleFunc("GET /status", s.handlePublicStatusPage)
	s.mux.HandleFunc("/api/", s.handleNotFound)
	s.mux.Handle("/", web.Handler())
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	// A path that exists with other methods answers 405, as the original.
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"detail": map[string]string{"code": "NOT_FOUND", "message": "No such endpoint: " + r.Method + " " + r.URL.Path}})
}

func itoa(i int) string { return strconv.Itoa(i) }
