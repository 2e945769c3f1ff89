package httpapi

// checkOperations documents the check routes (checks.go).
func checkOperations() []operation {
	list := object(p("checks", arrayOf(ref("CheckOverview"))), p("total", integer()))
	return []operation{
		{Route: "GET /api/v1/checks", Tag: "checks", Summary: "List checks with each agent's current result", Auth: authOperator,
			Query:  []param{{Name: "server_id", Desc: "Only the checks this server runs.", Schema: str()}},
			Result: list, Errors: []int{422},
			Doc: "state is the check's state across the agents that reported it within three intervals: down (or warn) when its quorum of them is; pending before any did; disabled."},
		{Route: "POST /api/v1/checks", Tag: "checks", Summary: "Define a check", Auth: authOperator,
			Body: ref("Check"), Status: 201, Result: ref("Check"), Errors: []int{404, 409},
			Doc: "type http (target a URL), tcp or tls (host:port), dns or ping (a host name). Defaults: interval 60 s, timeout 10 s, retries 0, quorum 0 (all agents that run it), enabled. Agents receive it in their next heartbeat answer."},
		{Route: "GET /api/v1/checks/{chid}", Tag: "checks", Summary: "Get a check with each agent's current result", Auth: authOperator,
			Result: ref("CheckOverview"), Errors: []int{404, 422}},
		{Route: "PUT /api/v1/checks/{chid}", Tag: "checks", Summary: "Change a check (only the fields given)", Auth: authOperator,
			Body: ref("Check"), Result: ref("Check"), Errors: []int{404, 409},
			Doc: "Fields left out keep their values; the type cannot change. Disabling or renaming resolves its open alert."},
		{Route: "DELETE /api/v1/checks/{chid}", Tag: "checks", Summary: "Delete a check with its results", Auth: authOperator,
			Status: 204, Errors: []int{404, 422}, Doc: "Its open alert resolves (reason: check deleted)."},
		{Route: "GET /api/v1/checks/{chid}/history", Tag: "checks", Summary: "A check's results from every agent, oldest first", Auth: authOperator,
			Query: []param{
				{Name: "hours", Desc: "How far back.", Schema: with(integer(), "minimum", 1, "maximum", 168, "default", 24)},
				{Name: "limit", Desc: "At most this many of the newest.", Schema: with(integer(), "minimum", 1, "maximum", 10000, "default", 1000)},
			},
			Result: object(p("check_id", integer()), p("history", arrayOf(ref("CheckHistoryPoint"))), p("total", integer())), Errors: []int{404, 422}},
		{Route: "GET /api/v1/checks/{chid}/results", Tag: "checks", Summary: "Each agent's current result of a check", Auth: authOperator,
			Result: object(p("check_id", integer()), p("results", arrayOf(ref("CheckAgentStatus"))), p("total", integer())), Errors: []int{404, 422}},
	}
}
