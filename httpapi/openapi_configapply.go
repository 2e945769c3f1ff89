package httpapi

// configApplyOperations documents the routes of configApplyRoutes.
func configApplyOperations() []operation {
	apply := object(p("apply_id", integer()), p("server_id", str()), p("pack_name", str()), p("status", str()),
		p("action", ref("Action")), p("result", nullable(ref("ConfigApplyResult"))))
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
	}
}
