package httpapi

// This file is the API's OpenAPI table. When you register a route in any
// httpapi file, add one operation here with the same "METHOD /path" string;
// TestOpenAPICoversRoutes fails until you do. Path parameters are taken from
// the route itself (describe new ones in pathParamDocs). Auth adds 401,
// a Body adds 413 and 422, and every operation gets 500.

// Who may call an operation.
const (
	authOpen     = "open"     // no credential
	authOperator = "operator" // X-API-Key or the dashboard session cookie
	authAgent    = "agent"    // X-Agent-Token + X-Server-GUID, or X-API-Key
)

// operation documents one registered route.
type operation struct {
	Route   string // "METHOD /path" exactly as registered with the mux
	Tag     string
	Summary string
	Doc     string // optional longer description
	Auth    string
	Role    Access // filled from the route table
	Query   []param
	Body    schema // request body; nil when there is none
	Status  int    // success status; 0 means 200
	Result  schema // success body; nil for an empty one (204)
	Content string // success media type; "" means application/json
	Errors  []int  // error statuses besides the automatic ones
}

// param is a query parameter.
type param struct {
	Name, Desc string
	Schema     schema
	Required   bool
}

// pathParamDocs describes the {name}s used in routes.
var pathParamDocs = map[string]string{
	"id":   "Server id (slug, ^[a-z0-9-]+$).",
	"name": "Service (systemd unit) name.",
	"guid": "Server GUID (lowercase UUID v4).",
	"tid":  "Registration token id.",
	"arch": "Go architecture name, e.g. amd64 or arm64.",
	"aid":  "Action id (positive integer).",
	"alid": "Alert id (positive integer).",
	"cid":  "Notification channel id (positive integer).",
	"user": "User name.",
	"sid":  "Session id (the SHA-256 of the session cookie, as listed).",
	"tkid": "API token id (positive integer).",
	"kid":  "SSH key id: default.",
	"addr": "host:port of a pinned host key.",
	"scid": "Scan id (positive integer).",
	"type": "Credential type: ssh_private_key, ssh_password or sudo_password.",
	"did":  "Discovery (sweep) id (positive integer).",
	"pack": "Configuration pack name.",
	"tsid": "Tailscale device id.",
	"chid": "Check id (positive integer).",
}

// tagDocs describes the operation groups, in display order.
var tagDocs = [][2]string{
	{"system", "Hub health."},
	{"auth", "Dashboard sign-in with a user name and password or the API key; sets an HttpOnly session cookie. First-run setup."},
	{"users", "Accounts with roles (viewer, operator, admin), their sessions, and scoped API tokens."},
	{"agents", "What agents call: the heartbeat."},
	{"registration", "One-time registration tokens, claims, install script and per-agent credentials."},
	{"servers", "Monitored machines."},
	{"scans", "Ad-hoc scans of hosts over SSH and their history."},
	{"ssh", "SSH defaults, keys, per-server credentials (sealed, never returned), pinned host keys and the audit trail."},
	{"discovery", "Subnet sweeps and the Tailscale device list, with import."},
	{"commands", "Whitelisted commands run synchronously over SSH."},
	{"config-packs", "Configuration packs (files, packages, units, sysctl) checked over SSH, and compliance."},
	{"services", "Expected services per server with their live status and history."},
	{"containers", "Docker/Podman containers per server: every reported one, the expected ones, their history and actions."},
	{"metrics", "Host metrics history."},
	{"events", "Live updates for dashboards as server-sent events."},
	{"actions", "Remediation actions (service restarts): queue, approval, audit trail."},
	{"alerts", "Alerts: list, acknowledge, resolve; alert thresholds."},
	{"status", "The public status page (opt-in)."},
	{"preferences", "Dashboard layout saved per user (card order, sections), in the original's shapes."},
	{"checks", "Checks run by agents from inside the LAN: HTTP, TCP, DNS, ping and TLS certificate expiry."},
	{"notifications", "Notification channels (Slack, Discord, ntfy, Gotify, e-mail, signed webhook)."},
	{"docs", "This document and its rendering."},
}

// apiOperations lists every route of the API. The schemas they name are in
// openAPIComponents.
func apiOperations() []operation {
	return []operation{
		{Route: "GET /api/v1/system/health", Tag: "system", Summary: "Hub health", Auth: authOpen,
			Doc: "Always 200; status is \"degraded\" when the database does not answer.", Result: ref("Health")},

		{Route: "POST /api/v1/auth/login", Tag: "auth", Summary: "Sign in with a user name and password, or the API key", Auth: authOpen,
			Body: ref("LoginRequest"), Status: 204, Errors: []int{401}, Doc: "Sets the homelabcmd_session cookie."},
		{Route: "POST /api/v1/auth/logout", Tag: "auth", Summary: "Sign out", Auth: authOpen, Status: 204,
			Doc: "Deletes the session named by the cookie, if any, and clears the cookie."},
		{Route: "GET /api/v1/auth/session", Tag: "auth", Summary: "Check the caller is signed in", Auth: authOperator,
			Result: object(p("authenticated", with(boolean(), "const", true)), p("name", str()), p("role", enum("viewer", "operator", "admin")),
				p("kind", enum("user", "token", "api-key")))},

		{Route: "POST /api/v1/agents/heartbeat", Tag: "agents", Summary: "Report an agent's state", Auth: authAgent,
			Body: ref("Heartbeat"), Result: ref("HeartbeatResponse"), Errors: []int{403, 409},
			Doc: "Registers an unknown server on its first heartbeat. An agent token may report only for its own server (403 otherwise)."},

		{Route: "POST /api/v1/agents/register/tokens", Tag: "registration", Summary: "Create a one-time registration token", Auth: authOperator,
			Body: ref("CreateRegistrationTokenRequest"), Status: 201, Result: ref("RegistrationTokenCreated")},
		{Route: "GET /api/v1/agents/register/tokens", Tag: "registration", Summary: "List pending registration tokens", Auth: authOperator,
			Result: object(p("tokens", arrayOf(ref("RegistrationToken"))), p("total", integer()))},
		{Route: "DELETE /api/v1/agents/register/tokens/{tid}", Tag: "registration", Summary: "Delete a registration token", Auth: authOperator,
			Status: 204, Errors: []int{404, 409, 422}},
		{Route: "POST /api/v1/agents/register/claim", Tag: "registration", Summary: "Claim a registration token (agent side)", Auth: authOpen,
			Doc:   "The one-time token in the body is the credential. With ?format=yaml the answer is the agent config file alone (application/yaml).",
			Query: []param{{Name: "format", Desc: "yaml: answer with the config file only.", Schema: enum("yaml")}},
			Body:  ref("ClaimRequest"), Result: ref("ClaimResponse"), Errors: []int{400, 401, 409}},
		{Route: "GET /api/v1/agents/register/install.sh", Tag: "registration", Summary: "Agent install script", Auth: authOpen,
			Content: "text/x-shellscript", Result: str(), Doc: "POSIX sh. Usage: curl -fsSL HUB/api/v1/agents/register/install.sh | sudo sh -s -- --token hlh_rt_… [--server-id ID] [--arch amd64|arm64|armv7] [--bin-dir DIR] [--no-start]. Detects the architecture, verifies the SHA-256 of the download."},
		{Route: "GET /api/v1/agents/register/credentials/{guid}", Tag: "registration", Summary: "Show a server's agent credential", Auth: authOperator,
			Result: ref("AgentCredential"), Errors: []int{404}},
		{Route: "POST /api/v1/agents/register/credentials/{guid}/rotate", Tag: "registration", Summary: "Rotate an agent token", Auth: authOperator,
			Result: object(p("success", boolean()), p("server_guid", str()), p("api_token", str()), p("api_token_prefix", str())), Errors: []int{404}},
		{Route: "POST /api/v1/agents/register/credentials/{guid}/revoke", Tag: "registration", Summary: "Revoke an agent token", Auth: authOperator,
			Result: object(p("success", boolean()), p("server_guid", str())), Errors: []int{404}},
		{Route: "GET /api/v1/agents/download/{arch}", Tag: "registration", Summary: "Download the agent binary", Auth: authOpen,
			Content: "application/octet-stream", Result: schema{"type": "string", "contentMediaType": "application/octet-stream"}, Errors: []int{404},
			Doc: "arch is amd64, arm64 or armv7 (arm). The slim agent homelabcmd-agent-linux-<arch> from agents_dir (default: the folder of the hub's executable), else the hub's own binary for its own architecture; 404 when the hub has none. X-Checksum-Sha256 carries its SHA-256; Content-Disposition its file name."},
		{Route: "GET /api/v1/agents/download/{arch}/sha256", Tag: "registration", Summary: "Checksum of the agent binary", Auth: authOpen,
			Content: "text/plain", Result: str(), Errors: []int{404},
			Doc: "One line as sha256sum prints it: the SHA-256 and the file name of what the download route serves."},

		{Route: "GET /api/v1/servers", Tag: "servers", Summary: "List servers", Auth: authOperator,
			Result: object(p("servers", arrayOf(ref("ServerResponse"))), p("total", integer()))},
		{Route: "POST /api/v1/servers", Tag: "servers", Summary: "Create a server", Auth: authOperator,
			Body: ref("CreateServerRequest"), Status: 201, Result: ref("ServerResponse"), Errors: []int{409}},
		{Route: "GET /api/v1/servers/{id}", Tag: "servers", Summary: "Get a server with its latest metrics", Auth: authOperator,
			Result: ref("ServerResponse"), Errors: []int{404}},
		{Route: "PUT /api/v1/servers/{id}", Tag: "servers", Summary: "Update a server (only the fields given)", Auth: authOperator,
			Body: ref("ServerUpdate"), Result: ref("ServerResponse"), Errors: []int{404}},
		{Route: "DELETE /api/v1/servers/{id}", Tag: "servers", Summary: "Delete a server and everything it owns", Auth: authOperator,
			Status: 204, Errors: []int{404}},
		{Route: "PUT /api/v1/servers/{id}/pause", Tag: "servers", Summary: "Enter maintenance mode", Auth: authOperator,
			Result: ref("ServerResponse"), Errors: []int{404}},
		{Route: "PUT /api/v1/servers/{id}/unpause", Tag: "servers", Summary: "Leave maintenance mode", Auth: authOperator,
			Result: ref("ServerResponse"), Errors: []int{404}},

		{Route: "POST /api/v1/servers/{id}/agent/upgrade", Tag: "actions", Summary: "Queue an upgrade of a server's agent to the hub's version", Auth: authOperator,
			Doc: "The agent downloads its architecture's binary from this hub, checks its SHA-256 and that it runs and is the target version, swaps it in and exits so that systemd starts it; " +
				"a new binary that gets no heartbeat through within 3 minutes is rolled back. Approved at once unless the server is in maintenance mode (then pending). " +
				"409 with existing_action_id when an upgrade of its agent is active. The action is verified when the agent reports the target version.",
			Status: 201, Result: ref("UpgradeQueued"), Errors: []int{404, 409}},
		{Route: "GET /api/v1/servers/{id}/metrics", Tag: "metrics", Summary: "Metrics history, downsampled", Auth: authOperator,
			Query:  []param{{Name: "range", Desc: "Time window; the bucket grows with it (5m, 1h, 4h, 1d).", Schema: with(enum("24h", "7d", "30d", "12m"), "default", "24h")}},
			Result: ref("MetricsHistory"), Errors: []int{404, 422}},

		{Route: "GET /api/v1/servers/{id}/units", Tag: "services", Summary: "The service units the server's agent can see", Auth: authOperator,
			Doc: "The latest inventory the agent sent (heartbeat field available_units, on start and then every few hours or on change): names and descriptions, for the dashboard's \"Add service\" picker. reported_at is null before the first. " +
				"adopted_at is when the agent's own monitored services (heartbeat field monitored_services: agent install --services, a registration token's services) became expected services; that happens once per server.",
			Result: object(p("server_id", str()), p("units", arrayOf(object(p("name", str()), opt("description", str()), opt("kind", enum("service"))))),
				p("reported_at", nullable(dateTime())), p("adopted_at", nullable(dateTime()))), Errors: []int{404}},
		{Route: "GET /api/v1/servers/{id}/services", Tag: "services", Summary: "List expected services with their current status", Auth: authOperator,
			Result: object(p("services", arrayOf(ref("ExpectedService"))), p("total", integer())), Errors: []int{404}},
		{Route: "POST /api/v1/servers/{id}/services", Tag: "services", Summary: "Add an expected service", Auth: authOperator,
			Body: ref("CreateServiceRequest"), Status: 201, Result: ref("ExpectedService"), Errors: []int{404, 409}},
		{Route: "PUT /api/v1/servers/{id}/services/{name}", Tag: "services", Summary: "Update an expected service (only the fields given)", Auth: authOperator,
			Body: ref("ExpectedServiceUpdate"), Result: ref("ExpectedService"), Errors: []int{404}},
		{Route: "DELETE /api/v1/servers/{id}/services/{name}", Tag: "services", Summary: "Remove an expected service", Auth: authOperator,
			Status: 204, Errors: []int{404}},
		{Route: "GET /api/v1/servers/{id}/services/{name}/history", Tag: "services", Summary: "Status history, newest first", Auth: authOperator,
			Query: []param{
				{Name: "from", Desc: "Oldest sample time (ISO 8601).", Schema: dateTime()},
				{Name: "to", Desc: "Newest sample time (ISO 8601).", Schema: dateTime()},
				{Name: "limit", Desc: "Page size.", Schema: with(integer(), "minimum", 1, "maximum", 1000, "default", 100)},
				{Name: "cursor", Desc: "next_cursor of the previous page.", Schema: str()},
			},
			Result: ref("ServiceHistoryPage"), Errors: []int{404, 422}},

		{Route: "GET /api/v1/servers/{id}/services/{name}/uptime", Tag: "services", Summary: "Share of time a service reported running", Auth: authOperator,
			Doc:    "Computed from the status history (every transition is kept): percent running over 24 h, 7 d and 30 d, null where nothing is known.",
			Result: object(p("server_id", str()), p("service_name", str()), p("uptime_24h", nullable(schema{"type": "number"})), p("uptime_7d", nullable(schema{"type": "number"})), p("uptime_30d", nullable(schema{"type": "number"}))),
			Errors: []int{404}},
		{Route: "POST /api/v1/servers/{id}/services/{name}/restart", Tag: "actions", Summary: "Queue a restart of a service", Auth: authOperator,
			Doc:    "Approved at once (approved_by \"auto\") unless the server is in maintenance mode (then pending). 409 with existing_action_id when a restart of it is active, or with reason crash_loop after too many recent restarts.",
			Status: 201, Result: ref("RestartQueued"), Errors: []int{404, 409, 422}},
		{Route: "GET /api/v1/servers/{id}/containers", Tag: "containers", Summary: "List every reported container and every expected one with its current status", Auth: authOperator,
			Doc:    "Containers come from the agent's container collector (Docker Engine API, or Podman's Docker-compatible socket). A server whose agent reports no container engine lists only its expected containers, without a status.",
			Result: object(p("containers", arrayOf(ref("ContainerView"))), p("total", integer())), Errors: []int{404}},
		{Route: "POST /api/v1/servers/{id}/containers", Tag: "containers", Summary: "Declare an expected container", Auth: authOperator,
			Doc:  "An expected container that is exited, dead or unhealthy raises an alert (high when critical, else medium), as does a restart loop; it resolves when the container runs again.",
			Body: ref("CreateContainerRequest"), Status: 201, Result: ref("ContainerView"), Errors: []int{404, 409}},
		{Route: "PUT /api/v1/servers/{id}/containers/{name}", Tag: "containers", Summary: "Update an expected container (only the fields given)", Auth: authOperator,
			Body: ref("ExpectedServiceUpdate"), Result: ref("ContainerView"), Errors: []int{404}},
		{Route: "DELETE /api/v1/servers/{id}/containers/{name}", Tag: "containers", Summary: "Stop expecting a container (its open alerts resolve)", Auth: authOperator,
			Status: 204, Errors: []int{404}},
		{Route: "GET /api/v1/servers/{id}/containers/{name}/history", Tag: "containers", Summary: "A container's status history, newest first", Auth: authOperator,
			Query: []param{
				{Name: "from", Desc: "Oldest sample time (ISO 8601).", Schema: dateTime()},
				{Name: "to", Desc: "Newest sample time (ISO 8601).", Schema: dateTime()},
				{Name: "limit", Desc: "Page size.", Schema: with(integer(), "minimum", 1, "maximum", 1000, "default", 100)},
				{Name: "cursor", Desc: "next_cursor of the previous page.", Schema: str()},
			},
			Result: ref("ContainerHistoryPage"), Errors: []int{404, 422}},
		{Route: "POST /api/v1/servers/{id}/containers/{name}/restart", Tag: "actions", Summary: "Queue a restart of a container (restart_container)", Auth: authOperator,
			Doc:    "The same guard rails as a service restart: approved at once unless the server is in maintenance mode (then pending), 409 with existing_action_id when an action on the container is active, or with reason crash_loop after too many recent restarts. The agent acts only on expected or allow-listed containers; the hub verifies the container reports running.",
			Status: 201, Result: ref("ContainerActionQueued"), Errors: []int{404, 409, 422}},
		{Route: "POST /api/v1/servers/{id}/containers/{name}/start", Tag: "actions", Summary: "Queue a start of a container (start_container)", Auth: authOperator,
			Doc:    "As restart; verified when the container reports running.",
			Status: 201, Result: ref("ContainerActionQueued"), Errors: []int{404, 409, 422}},
		{Route: "POST /api/v1/servers/{id}/containers/{name}/stop", Tag: "actions", Summary: "Queue a stop of a container (stop_container)", Auth: authOperator,
			Doc:    "As restart (without the crash-loop guard); verified when the container reports stopped. An expected container that is stopped raises its alert: disable it first for planned downtime.",
			Status: 201, Result: ref("ContainerActionQueued"), Errors: []int{404, 409, 422}},
		{Route: "GET /api/v1/servers/{id}/actions", Tag: "actions", Summary: "A server's actions, newest first", Auth: authOperator,
			Query: actionQuery, Result: ref("ActionPage"), Errors: []int{404, 422}},
		{Route: "GET /api/v1/servers/{id}/packages", Tag: "servers", Summary: "A server's upgradable packages (the original's shape)", Auth: authOperator,
			Doc:    "As its agent last reported them, by name; last_checked is the server's last heartbeat.",
			Result: ref("PackageList"), Errors: []int{404}},
		{Route: "POST /api/v1/config/test-webhook", Tag: "channels", Summary: "Send a test message to a Slack webhook (the original's route)", Auth: authOperator,
			Doc:  "The URL is not stored. Always 200 with success, or success false and the error (the URL scrubbed from it).",
			Body: object(p("webhook_url", with(str(), "minLength", 1))), Result: object(p("success", boolean()), p("message", str()), p("error", str())), Errors: []int{422}},
		{Route: "GET /api/v1/servers/{id}/metrics/sparkline", Tag: "servers", Summary: "One metric's recent samples for a sparkline (the original's route)", Auth: authOperator,
			Query: []param{{Name: "metric", Desc: "The metric.", Schema: enum("cpu_percent", "memory_percent", "disk_percent")},
				{Name: "period", Desc: "The window (about 30, 30 and 36 points).", Schema: enum("30m", "1h", "6h")}},
			Result: object(p("server_id", str()), p("metric", str()), p("period", str()), p("data", arrayOf(object(p("timestamp", dateTime()), p("value", nullable(schema{"type": "number"})))))),
			Errors: []int{400, 404}},
		{Route: "GET /api/v1/servers/{id}/metrics/export", Tag: "servers", Summary: "Export metrics as CSV or JSON, streamed (the original's route)", Auth: authOperator,
			Doc:     "An attachment named {id}-metrics-{range}-{date}.{format}. 24h and 7d: raw samples (timestamp,cpu_percent,memory_percent,disk_percent); 30d and 12m: hourly and daily averages (timestamp,cpu_avg,memory_avg,disk_avg). JSON: {server_id, server_name, range, exported_at, data_points}. Read and written a day at a time, so any range streams in bounded memory.",
			Query:   []param{{Name: "range", Desc: "Required.", Schema: enum("24h", "7d", "30d", "12m")}, {Name: "format", Desc: "csv (default) or json.", Schema: enum("csv", "json")}},
			Content: "text/csv", Result: str(), Errors: []int{404, 422}},
		{Route: "GET /api/v1/config/cost", Tag: "channels", Summary: "Electricity rate and currency (the original's setting)", Auth: authOperator,
			Result: ref("CostConfig")},
		{Route: "PUT /api/v1/config/cost", Tag: "channels", Summary: "Set the electricity rate (per kWh) and currency (partial)", Auth: authOperator,
			Body:   object(p("electricity_rate", with(schema{"type": "number"}, "minimum", 0, "maximum", 1000)), p("currency_symbol", with(str(), "maxLength", 10))),
			Result: ref("CostConfig"), Errors: []int{422}},
		{Route: "GET /api/v1/costs/summary", Tag: "servers", Summary: "Fleet electricity cost over a period (our shape; the original's route)", Auth: authOperator,
			Doc:   costDoc,
			Query: costQuery,
			Result: object(p("period", str()), p("from", dateTime()), p("to", dateTime()), p("electricity_rate", num()), p("currency_symbol", str()),
				p("server_count", integer()), p("servers_using_defaults", integer()), p("total_kwh", num()), p("total_cost", num()), p("total_avg_watts", num()),
				p("daily_cost", num()), p("monthly_cost", num()), p("yearly_cost", num())), Errors: []int{422}},
		{Route: "GET /api/v1/costs/summary/monthly", Tag: "servers", Summary: "Fleet electricity cost per calendar month (our shape)", Auth: authOperator,
			Query: []param{{Name: "months", Desc: "1-12 (default 12), this month included.", Schema: integer()}},
			Result: object(p("electricity_rate", num()), p("currency_symbol", str()), p("total_kwh", num()), p("total_cost", num()),
				p("months", arrayOf(object(p("month", str()), p("days", integer()), p("kwh", num()), p("cost", num()))))), Errors: []int{422}},
		{Route: "GET /api/v1/costs/breakdown", Tag: "servers", Summary: "Electricity cost per server, the most expensive first (our shape)", Auth: authOperator,
			Doc: costDoc, Query: costQuery,
			Result: object(p("period", str()), p("from", dateTime()), p("to", dateTime()), p("electricity_rate", num()), p("currency_symbol", str()),
				p("total_kwh", num()), p("total_cost", num()), p("servers", arrayOf(object(p("server_id", str()), p("name", str()), p("machine_type", str()),
					p("machine_category", nullable(str())), p("machine_category_source", nullable(str())), p("idle_watts", integer()), p("tdp_watts", integer()),
					p("watts_defaulted", boolean()), p("cpu_avg_percent", nullable(num())), p("hours_online", num()), p("avg_watts", num()),
					p("kwh", num()), p("cost", num()), p("daily_cost", num()), p("monthly_cost", num()))))), Errors: []int{422}},
		{Route: "GET /api/v1/costs/history", Tag: "servers", Summary: "Fleet electricity cost per UTC day (our shape)", Auth: authOperator,
			Doc: costDoc, Query: costQuery,
			Result: object(p("period", str()), p("from", dateTime()), p("to", dateTime()), p("electricity_rate", num()), p("currency_symbol", str()),
				p("total_kwh", num()), p("total_cost", num()), p("days", arrayOf(object(p("date", str()), p("kwh", num()), p("cost", num()))))), Errors: []int{422}},
		{Route: "GET /api/v1/servers/{id}/costs/history", Tag: "servers", Summary: "One server's electricity cost per UTC day (our shape)", Auth: authOperator,
			Doc: costDoc, Query: costQuery,
			Result: object(p("server_id", str()), p("period", str()), p("from", dateTime()), p("to", dateTime()), p("electricity_rate", num()), p("currency_symbol", str()),
				p("idle_watts", integer()), p("tdp_watts", integer()), p("watts_defaulted", boolean()), p("machine_category", nullable(str())), p("machine_type", str()),
				p("total_kwh", num()), p("total_cost", num()), p("days", arrayOf(object(p("date", str()), p("hours_online", num()), p("cpu_avg_percent", nullable(num())),
					p("avg_watts", num()), p("kwh", num()), p("cost", num()))))), Errors: []int{404, 422}},
		{Route: "GET /api/v1/actions", Tag: "actions", Summary: "List actions, newest first", Auth: authOperator,
			Query: append([]param{{Name: "server_id", Desc: "Only this server's actions.", Schema: str()}}, actionQuery...), Result: ref("ActionPage"), Errors: []int{422}},
		{Route: "POST /api/v1/actions", Tag: "actions", Summary: "Create an action of a whitelisted type (the original's route)", Auth: authOperator,
			Doc:    "Types from the hub's action type table with a creatable flag (restart_service, and the container and update actions where built). 422 for an unknown action_type or a missing service_name (required for restart_service); 403 for a known type not on the whitelist (upgrade_agent has its own route; the original's shell-command types clear_logs and apt_* are refused). 409 for an inactive server and the restart guard rails. Approved at once (approved_by \"auto\") unless the server is in maintenance mode.",
			Body:   object(p("server_id", with(str(), "minLength", 1, "maxLength", 100)), p("action_type", str()), p("service_name", nullable(with(str(), "maxLength", 255))), p("alert_id", nullable(with(integer(), "minimum", 1)))),
			Status: 201, Result: ref("Action"), Errors: []int{403, 404, 409, 422}},
		{Route: "GET /api/v1/actions/{aid}", Tag: "actions", Summary: "An action with its audit trail", Auth: authOperator,
			Result: ref("Action"), Errors: []int{404, 422}},
		{Route: "POST /api/v1/actions/{aid}/approve", Tag: "actions", Summary: "Approve a pending action", Auth: authOperator,
			Result: ref("Action"), Errors: []int{404, 409, 422}},
		{Route: "POST /api/v1/actions/{aid}/reject", Tag: "actions", Summary: "Reject a pending action with a reason", Auth: authOperator,
			Body: object(p("reason", with(str(), "minLength", 1, "maxLength", 1000))), Result: ref("Action"), Errors: []int{404, 409}},
		{Route: "POST /api/v1/actions/{aid}/cancel", Tag: "actions", Summary: "Cancel a pending or approved action", Auth: authOperator,
			Doc:    "As the original: the action becomes failed with exit_code -1, stderr \"Action cancelled by user\" and failure_reason \"cancelled\".",
			Result: ref("Action"), Errors: []int{404, 409, 422}},
		{Route: "POST /api/v1/agents/upgrade-outdated", Tag: "actions", Summary: "Queue an agent upgrade for every outdated online server", Auth: authOperator,
			Doc:    "One upgrade_agent action per online, active server whose agent reports another version than the hub's (agent_outdated). Servers with an upgrade already active are listed in skipped with its id.",
			Result: ref("UpgradesQueued"), Errors: []int{}},
		{Route: "GET /api/v1/agents/commands", Tag: "agents", Summary: "Wait for commands (long-poll)", Auth: authAgent,
			Doc: "Answers as soon as an approved action exists for the agent's server (it is then executing), or with an empty list when wait runs out. With the API key, server_id names the server.",
			Query: []param{{Name: "wait", Desc: "Seconds to wait (0-55).", Schema: with(integer(), "minimum", 0, "maximum", 55, "default", 25)},
				{Name: "server_id", Desc: "The server (API-key callers only).", Schema: str()}},
			Result: object(p("commands", arrayOf(ref("PendingCommand")))), Errors: []int{403, 422}},
		{Route: "POST /api/v1/agents/commands/{aid}/result", Tag: "agents", Summary: "Report the result of a command", Auth: authAgent,
			Body: ref("ActionResult"), Result: ref("Action"), Errors: []int{403, 404, 409}},

		{Route: "GET /api/v1/events", Tag: "events", Summary: "Live event stream (server-sent events)", Auth: authOperator,
			Content: "text/event-stream", Result: strDesc("Events server.updated, service.changed, alert.changed and action.changed; each data line is {\"type\",\"server_id\",\"data\"}."),
			Doc: "Keeps the connection open; a comment line every 15 s keeps proxies from closing it."},

		{Route: "GET /api/v1/preferences/card-order", Tag: "preferences", Summary: "The caller's card order per section", Auth: authOperator, Result: ref("CardOrder")},
		{Route: "PUT /api/v1/preferences/card-order", Tag: "preferences", Summary: "Save the caller's card order", Auth: authOperator, Body: ref("CardOrder"), Result: ref("CardOrder")},
		{Route: "GET /api/v1/preferences/section-order", Tag: "preferences", Summary: "The caller's section order", Auth: authOperator, Result: ref("SectionOrder")},
		{Route: "PUT /api/v1/preferences/section-order", Tag: "preferences", Summary: "Save the caller's section order", Auth: authOperator, Body: ref("SectionOrder"), Result: ref("SectionOrder")},
		{Route: "GET /api/v1/preferences/collapsed-sections", Tag: "preferences", Summary: "The caller's collapsed sections", Auth: authOperator, Result: ref("CollapsedSections")},
		{Route: "PUT /api/v1/preferences/collapsed-sections", Tag: "preferences", Summary: "Save the caller's collapsed sections", Auth: authOperator, Body: ref("CollapsedSections"), Result: ref("CollapsedSections")},
		{Route: "GET /api/v1/preferences/dashboard", Tag: "preferences", Summary: "All of the caller's dashboard preferences", Auth: authOperator, Result: ref("DashboardPreferences")},
		{Route: "PUT /api/v1/preferences/dashboard", Tag: "preferences", Summary: "Save some of the caller's dashboard preferences", Auth: authOperator,
			Doc: "Only the parts given are written.", Body: ref("DashboardPreferences"), Result: ref("DashboardPreferences")},
		{Route: "GET /api/v1/status-page", Tag: "status", Summary: "The public status page's settings", Auth: authOperator, Result: ref("StatusPageConfig")},
		{Route: "PUT /api/v1/status-page", Tag: "status", Summary: "Change the public status page", Auth: authOperator,
			Doc:  "Off by default. When enabled, GET /status (HTML, no login) and GET /api/v1/public/status show the chosen servers and services by name with up/down only: no addresses, metrics or ids. The whole settings object is replaced.",
			Body: ref("StatusPageConfig"), Result: ref("StatusPageConfig")},
		{Route: "GET /api/v1/public/status", Tag: "status", Summary: "The public status page's content (no login)", Auth: authOpen,
			Doc:    "404 when the status page is off. overall: operational, degraded (something cannot be checked) or down. GET /status (outside /api) is the same as a plain HTML page without scripts, refreshing every minute.",
			Result: ref("PublicStatus"), Errors: []int{404}},
		{Route: "GET /api/openapi.json", Tag: "docs", Summary: "This OpenAPI 3.1 document", Auth: authOpen,
			Result: schema{"type": "object"}},
		{Route: "GET /api/docs", Tag: "docs", Summary: "API documentation page (works offline)", Auth: authOpen,
			Content: "text/html", Result: str()},
	}
}

// actionQuery are the list filters of actions.
var actionQuery = []param{
	{Name: "status", Desc: "Only actions in this status.", Schema: enum("pending", "approved", "executing", "completed", "failed", "rejected", "cancelled")},
	{Name: "action_type", Desc: "Only this action type.", Schema: str()},
	{Name: "limit", Desc: "Page size.", Schema: with(integer(), "minimum", 1, "maximum", 100, "default", 50)},
	{Name: "offset", Desc: "Rows to skip.", Schema: with(integer(), "minimum", 0, "default", 0)},
}

// costDoc and costQuery describe the cost routes' estimate and period.
const costDoc = "Power = idle_watts + (tdp_watts - idle_watts) × the day's measured CPU use (category defaults when unset, watts_defaulted). Servers count 24/7 from when they were added; workstations only the hours they reported. Finished days come from the hub's daily snapshots, priced at the rate of their day (a later rate change leaves them); the current rate prices today and days without a snapshot. Periods are UTC days, today included. An unknown period answers 422 {detail:{code:INVALID_PERIOD}}."

var costQuery = []param{{Name: "period", Desc: "7d, 30d (default), 90d or 12m (365 days).", Schema: enum("7d", "30d", "90d", "12m")}}

func num() schema { return schema{"type": "number"} }
