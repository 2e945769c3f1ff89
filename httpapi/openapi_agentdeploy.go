package httpapi

import "github.com/homelabcmd/homelabcmd/agentless"

// agentDeploySchemas adds the components of agent deployment over SSH.
func agentDeploySchemas(g *schemaGen) {
	add[agentless.AgentInstallRequest](g, "AgentInstallRequest")
	add[agentless.AgentRemoveRequest](g, "AgentRemoveRequest")
	add[agentless.DeployStep](g, "AgentDeployStep")
	add[agentless.AgentDeployResult](g, "AgentDeployResult")
}

// agentDeployOperations documents the routes of agentDeployRoutes.
func agentDeployOperations() []operation {
	sshErr := "A failed step is a 200 with success false, error, and the steps run so far (exit code and bounded output each). 400 with code NO_SSH_KEY when no key or password applies; 409 with code HOST_KEY_CHANGED when the host presents another key than the pinned one, and with a string detail while another install, upgrade or removal of the server runs."
	return []operation{
		{Route: "GET /api/v1/agents/version", Tag: "agents", Summary: "The agent version this hub installs", Auth: authOperator,
			Result: object(p("version", str()))},
		{Route: "POST /api/v1/agents/install", Tag: "agents", Summary: "Install the agent on a machine over SSH", Auth: authOperator,
			Doc:  "Detects the architecture (uname -m), uploads the slim agent the download route serves, checks its SHA-256 on the machine, then runs the binary's own install with a one-time registration token (never the operator key): it claims the agent's token, writes the config and systemd unit; then systemctl daemon-reload and enable --now. Without hostname an existing server is reached at its stored SSH target; hub_url defaults to the URL the request came to. A login other than root uses sudo: with the server's sudo_password credential fed over stdin (sudo -S), else sudo -n. Every step is audited. " + sshErr,
			Body: ref("AgentInstallRequest"), Result: ref("AgentDeployResult"), Errors: []int{400, 409, 422}},
		{Route: "POST /api/v1/agents/{id}/upgrade", Tag: "agents", Summary: "Upgrade a server's agent over SSH", Auth: authOperator,
			Doc:    "Uploads the binary the hub serves, checks its SHA-256 on the machine (a mismatch replaces nothing), keeps the running one as .previous, renames the new one over it and restarts the unit. 409 for an inactive server. " + sshErr,
			Result: ref("AgentDeployResult"), Errors: []int{400, 404, 409}},
		{Route: "POST /api/v1/agents/{id}/remove", Tag: "agents", Summary: "Remove a server's agent over SSH", Auth: authOperator,
			Doc:  "systemctl disable --now, then deletes the binary (and .previous), config, unit and state folder; revokes the agent's token; marks the server inactive (inactive_since, offline; its heartbeats are refused) or deletes it with delete_completely. ssh_username and ssh_password apply to this call only and are not stored. When the machine cannot be reached the server is still marked inactive and success is false. The body is optional. 409 while another install, upgrade or removal of the server runs.",
			Body: ref("AgentRemoveRequest"), Result: ref("AgentDeployResult"), Errors: []int{404, 409, 422}},
		{Route: "PUT /api/v1/agents/{id}/activate", Tag: "agents", Summary: "Clear a server's inactive mark", Auth: authOperator,
			Doc:    "Its agent's heartbeats are taken again (install the agent again to get one). 409 with a string detail when the server is not inactive.",
			Result: object(p("success", boolean()), p("server_id", str()), p("message", str()), p("is_inactive", boolean())), Errors: []int{404, 409}},
	}
}
