package httpapi

// configApplyOperations documents the routes of configApplyRoutes.
func configApplyOperations() []operation {
	apply := object(p("apply_id", integer()), p("server_id", str()), p("pack_name", str()), p("status", str()),
		p("action", ref("Action")), p("result", nullable(ref("ConfigApplyResult"))))
	schedule := object(p("id", str()), p("hostname", str()), p("port", integer()), p("username", str()), p("scan_type", str()),
		p("interval_minutes", integer()), p("enabled", boolean()), p("last_run_at", nullable(dateTime())), p("last_scan_id", nullable(integer())),
		p("last_error", nullable(str())), p("next_run_at", nullable(dateTime())), p("created_by", str()))
	return []operation{
		{Route: "POST /api/v1/servers/{id}/config/apply", Tag: "config-packs", Summary: "Queue applying a pack (waits for approval)", Auth: authOperator,
			Doc: "Queues an apply_config_pack action, always pending: a person approves it (POST /actions/{aid}/approve), then the hub applies it over SSH — " +
				"only the items the check finds out of line: files written atomically with their mode and owner, units enabled, sysctl values set (and kept in /etc/sysctl.d), " +
				"packages installed or removed with apt-get; as root, through sudo with the sudo_password credential when the login user is not root. " +
				"One active apply per server (409). 400 UNKNOWN_PACK.",
			Body: object(p("pack_name", str())), Status: 202, Result: apply, Errors: []int{400, 404, 409, 422}},
		{Route: "GET /api/v1/servers/{id}/config/apply/{aid}", Tag: "config-packs", Summary: "An apply: its action and, once finished, each item's result and the compliance after it",
			Auth: authOperator, Result: apply, Errors: []int{404, 422}},
		{Route: "DELETE /api/v1/servers/{id}/config/apply", Tag: "config-packs", Summary: "Cancel the server's apply that has not started", Auth: authOperator,
			Doc: "A pending or approved apply is failed with failure_reason cancelled; 404 when there is none.", Result: apply, Errors: []int{404}},

		{Route: "GET /api/v1/scans/schedules", Tag: "scans", Summary: "Hosts scanned on a schedule", Auth: authOperator,
			Result: object(p("schedules", arrayOf(schedule)), p("total", integer()))},
		{Route: "PUT /api/v1/scans/schedules", Tag: "scans", Summary: "Scan a host on a schedule (create or replace)", Auth: authOperator,
			Doc: "The hub's clock job scans due hosts with the default credentials every minute it runs; each run is a scan in the history (requested_by schedule). " +
				"interval_minutes 15–10080; port and username default as for a scan.",
			Body:   object(p("hostname", str()), opt("port", integer()), opt("username", str()), opt("scan_type", enum("quick", "full")), p("interval_minutes", integer()), opt("enabled", boolean())),
			Result: schedule, Errors: []int{409, 422}},
		{Route: "DELETE /api/v1/scans/schedules/{addr}", Tag: "scans", Summary: "Stop scanning a host (addr is host:port)", Auth: authOperator, Status: 204, Errors: []int{404}},
		{Route: "GET /api/v1/settings/connectivity", Tag: "ssh", Summary: "How the hub reaches machines: tailscale or direct_ssh", Auth: authOperator,
			Doc: "Without a stored choice: tailscale when an API key is configured, else direct_ssh (mode_auto_detected true).", Result: ref("ConnectivitySettings")},
		{Route: "PUT /api/v1/settings/connectivity", Tag: "ssh", Summary: "Choose the connectivity mode", Auth: authOperator,
			Doc:    "400 TAILSCALE_NOT_CONFIGURED for tailscale without an API key. ssh_username also sets the default SSH user.",
			Body:   object(p("mode", enum("tailscale", "direct_ssh")), opt("ssh_username", str())),
			Result: object(p("success", boolean()), p("mode", str()), p("message", str()), p("settings", ref("ConnectivitySettings"))), Errors: []int{400, 422}},
		{Route: "GET /api/v1/settings/connectivity/status", Tag: "ssh", Summary: "Whether the chosen mode can be used now", Auth: authOperator,
			Result: object(p("mode", str()), p("ready", boolean()), p("detail", str()), p("tailscale", schema{}), p("ssh", schema{}))},
		{Route: "POST /api/v1/settings/tailscale/oauth", Tag: "discovery", Summary: "Store a Tailscale OAuth client (used instead of an API key)", Auth: authOperator,
			Doc: "The secret is sealed with the key file and never returned; before each use the hub trades the client for an access token " +
				"(client credentials grant at the API's /api/v2/oauth/token).",
			Body: object(p("client_id", str()), p("client_secret", str()), opt("tailnet", str())), Result: ref("TailscaleStatus"), Errors: []int{422, 500}},
		{Route: "DELETE /api/v1/settings/tailscale/oauth", Tag: "discovery", Summary: "Remove the Tailscale OAuth client", Auth: authOperator, Status: 204, Errors: []int{404}},
	}
}
