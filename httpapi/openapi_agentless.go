package httpapi

import (
	"encoding/json"
	"reflect"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
)

// agentlessSchemas adds the components of machines without an agent.
func agentlessSchemas(g *schemaGen) {
	add[agentless.ScanResult](g, "ScanResult")
	g.names[reflect.TypeFor[json.RawMessage]()] = "ScanResult" // Scan.results holds one
	add[homelabcmd.Scan](g, "Scan")
	add[homelabcmd.DiscoveredDevice](g, "DiscoveredDevice")
	add[homelabcmd.Discovery](g, "Discovery")
	add[homelabcmd.HostKey](g, "HostKey")
	add[homelabcmd.SSHTarget](g, "SSHTarget")
	add[homelabcmd.RemoteAudit](g, "RemoteAudit")
	add[agentless.SSHSettings](g, "SSHSettings")
	add[agentless.SSHSettingsPatch](g, "SSHSettingsPatch")
	add[agentless.SSHKey](g, "SSHKey")
	add[agentless.SSHTestResult](g, "SSHTestResult")
	add[agentless.CommandResult](g, "CommandResult")
	add[agentless.CredentialStatus](g, "CredentialStatus")
	add[agentless.DiscoverySettings](g, "DiscoverySettings")
	add[agentless.TailscaleStatus](g, "TailscaleStatus")
	add[agentless.ScanRequest](g, "ScanRequest")
	add[agentless.ImportRequest](g, "ImportRequest")
	add[agentless.PackFile](g, "PackFile")
	add[agentless.Pack](g, "ConfigPack")
	add[agentless.PackItem](g, "ConfigPackItem")
	add[agentless.ConfigCheck](g, "ConfigCheck")
	add[agentless.DiscoveredService](g, "DiscoveredService")
	add[agentless.ApplyItem](g, "ConfigApplyItem")
	add[agentless.ApplyResult](g, "ConfigApplyResult")
	add[agentless.ConnectivitySettings](g, "ConnectivitySettings")
}

// agentlessOperations documents the routes of agentlessRoutes.
func agentlessOperations() []operation {
	sshErr := "400 with code NO_SSH_KEY when neither the server nor the defaults hold a key or password; 409 with code HOST_KEY_CHANGED (pinned_fingerprint, presented_fingerprint) when the host presents another key than the one pinned on first use; 500 with code NO_ENCRYPTION_KEY when the secrets key file cannot be used."
	list := func(key string, item schema) schema { return object(p(key, arrayOf(item)), p("total", integer())) }
	packsResult := object(p("server_id", str()), p("assigned_packs", arrayOf(str())), p("drift_detection_enabled", boolean()))
	return append([]operation{
		{Route: "GET /api/v1/settings/ssh", Tag: "ssh", Summary: "SSH defaults", Auth: authOperator, Result: ref("SSHSettings")},
		{Route: "PUT /api/v1/settings/ssh", Tag: "ssh", Summary: "Change the SSH defaults (and the default password)", Auth: authOperator,
			Doc:  "default_password (write-only, sealed with the key file; \"\" removes it) is the fallback password of every host without its own.",
			Body: merge(ref("SSHSettingsPatch"), schema{}), Result: ref("SSHSettings"), Errors: []int{422}},
		{Route: "GET /api/v1/settings/ssh/keys", Tag: "ssh", Summary: "The default SSH key's public half", Auth: authOperator, Result: list("keys", ref("SSHKey"))},
		{Route: "POST /api/v1/settings/ssh/keys", Tag: "ssh", Summary: "Import or generate the default SSH key", Auth: authOperator,
			Doc:  "Without private_key, generates an ed25519 key. The answer shows the public key to add to authorized_keys; the private key is sealed and never returned.",
			Body: object(opt("private_key", str()), opt("comment", str())), Status: 201, Result: ref("SSHKey"), Errors: []int{422}},
		{Route: "DELETE /api/v1/settings/ssh/keys/{kid}", Tag: "ssh", Summary: "Delete the default SSH key", Auth: authOperator, Status: 204, Errors: []int{404}},
		{Route: "GET /api/v1/settings/ssh/host-keys", Tag: "ssh", Summary: "Host keys pinned on first use", Auth: authOperator, Result: list("host_keys", ref("HostKey"))},
		{Route: "DELETE /api/v1/settings/ssh/host-keys/{addr}", Tag: "ssh", Summary: "Forget a pinned host key (after an expected change)", Auth: authOperator,
			Status: 204, Errors: []int{404}},
		{Route: "GET /api/v1/settings/ssh/audit", Tag: "ssh", Summary: "Audit trail of SSH and credential use, newest first", Auth: authOperator,
			Query: []param{{Name: "limit", Desc: "At most this many (1–1000, default 100).", Schema: integer()}}, Result: list("entries", ref("RemoteAudit")), Errors: []int{422}},

		{Route: "POST /api/v1/scan/test", Tag: "scans", Summary: "Test an SSH login to a host with the default credentials", Auth: authOperator,
			Doc: "A failed login is a 200 with success false. " + sshErr, Body: ref("ScanRequest"), Result: ref("SSHTestResult"), Errors: []int{400, 409, 422}},
		{Route: "POST /api/v1/scans", Tag: "scans", Summary: "Start a scan of a host over SSH", Auth: authOperator,
			Doc:  "Runs in the background with the default credentials (quick: OS, kernel, uptime, CPU, memory, disks; full: also listening ports, running units, upgradable packages). Poll GET /scans/{scid}. " + sshErr,
			Body: ref("ScanRequest"), Status: 202, Result: ref("Scan"), Errors: []int{400, 422}},
		{Route: "GET /api/v1/scans", Tag: "scans", Summary: "Scan history, newest first", Auth: authOperator,
			Query:  []param{{Name: "limit", Desc: "Page size (1–500, default 50).", Schema: integer()}, {Name: "offset", Desc: "Rows to skip.", Schema: integer()}},
			Result: object(p("scans", arrayOf(ref("Scan"))), p("total", integer()), p("limit", integer()), p("offset", integer())), Errors: []int{422}},
		{Route: "GET /api/v1/scans/{scid}", Tag: "scans", Summary: "A scan", Auth: authOperator, Result: ref("Scan"), Errors: []int{404, 422}},
		{Route: "DELETE /api/v1/scans/{scid}", Tag: "scans", Summary: "Delete a scan from the history", Auth: authOperator, Status: 204, Errors: []int{404, 422}},
		{Route: "POST /api/v1/scans/{scid}/import", Tag: "scans", Summary: "Make a server of a scanned host", Auth: authOperator,
			Doc: "The server is reached over SSH at the scanned address.", Body: ref("ImportRequest"), Status: 201, Result: ref("ServerResponse"), Errors: []int{404, 409, 422}},

		{Route: "GET /api/v1/servers/{id}/credentials", Tag: "ssh", Summary: "Which credential of each type applies to a server", Auth: authOperator,
			Doc:    "scope is server (its own), default (the fallback) or null. Secrets are never returned.",
			Result: object(p("server_id", str()), p("credentials", arrayOf(ref("CredentialStatus")))), Errors: []int{404}},
		{Route: "POST /api/v1/servers/{id}/credentials", Tag: "ssh", Summary: "Store a server's own credential (sealed)", Auth: authOperator,
			Doc:    "credential_type ssh_private_key, ssh_password or sudo_password; 400 INVALID_CREDENTIAL_TYPE otherwise. Every change is audited.",
			Body:   object(p("credential_type", enum("ssh_private_key", "ssh_password", "sudo_password")), p("value", str())),
			Result: object(p("credential_type", str()), p("server_id", str()), p("configured", boolean()), p("updated_at", dateTime())), Errors: []int{400, 404, 422}},
		{Route: "DELETE /api/v1/servers/{id}/credentials/{type}", Tag: "ssh", Summary: "Delete a server's own credential", Auth: authOperator, Status: 204, Errors: []int{400, 404}},
		{Route: "GET /api/v1/servers/{id}/ssh", Tag: "ssh", Summary: "How the hub reaches a server over SSH", Auth: authOperator, Result: ref("SSHTarget"), Errors: []int{404}},
		{Route: "PUT /api/v1/servers/{id}/ssh", Tag: "ssh", Summary: "Set how the hub reaches a server over SSH", Auth: authOperator,
			Doc:  "jump_server_id (optional) reaches it through another server as a jump host (ProxyJump, one hop; that server's own SSH address and credentials log in to it, and host is then an address as it sees it). 422 when the jump server does not exist, is the server itself or has a jump host itself.",
			Body: ref("SSHTarget"), Result: ref("SSHTarget"), Errors: []int{404, 422}},
		{Route: "POST /api/v1/servers/{id}/test-ssh", Tag: "ssh", Summary: "Test an SSH login to a server", Auth: authOperator,
			Doc: "Credentials: the server's own, else the defaults, per type. A failed login is a 200 with success false. " + sshErr, Result: ref("SSHTestResult"), Errors: []int{400, 404, 409}},
		{Route: "POST /api/v1/servers/{id}/commands/execute", Tag: "commands", Summary: "Run a whitelisted command over SSH, synchronously", Auth: authOperator,
			Doc:  "command must match a template of GET /commands/templates in full; the remote command is rebuilt from the validated arguments, each quoted. Output is cut at 10,000 bytes per stream. Errors have a string detail: 400 not whitelisted, 408 timeout, 429 more than 10 a minute per caller, 500 SSH failure. Audited.",
			Body: object(p("command", str()), opt("action_type", str())), Result: ref("CommandResult"), Errors: []int{400, 404, 408, 409, 429}},
		{Route: "GET /api/v1/commands/templates", Tag: "commands", Summary: "The command whitelist", Auth: authOperator,
			Result: object(p("templates", arrayOf(object(p("action_type", str()), p("pattern", str()), p("example", str())))))},

		{Route: "POST /api/v1/discovery", Tag: "discovery", Summary: "Sweep a subnet for machines", Auth: authOperator,
			Doc:  "TCP connects to the configured ports of every address (no ICMP). A range larger than a /22 needs confirm true; larger than a /16 is refused. Poll GET /discovery/{did}.",
			Body: object(opt("subnet", str()), opt("confirm", boolean())), Status: 202, Result: ref("Discovery"), Errors: []int{422}},
		{Route: "GET /api/v1/discovery/devices", Tag: "discovery", Summary: "The newest sweep merged with the tailnet's devices", Auth: authOperator,
			Result: object(p("devices", arrayOf(ref("DiscoveredDevice"))), p("total", integer()), p("tailscale_error", nullable(str()))), Errors: []int{}},
		{Route: "POST /api/v1/discovery/import", Tag: "discovery", Summary: "Make a server of a discovered address", Auth: authOperator,
			Body: ref("ImportRequest"), Status: 201, Result: ref("ServerResponse"), Errors: []int{409, 422}},
		{Route: "GET /api/v1/discovery/{did}", Tag: "discovery", Summary: "A sweep and what it found", Auth: authOperator, Result: ref("Discovery"), Errors: []int{404, 422}},
		{Route: "GET /api/v1/settings/discovery", Tag: "discovery", Summary: "Sweep settings", Auth: authOperator, Result: ref("DiscoverySettings")},
		{Route: "PUT /api/v1/settings/discovery", Tag: "discovery", Summary: "Change the sweep settings", Auth: authOperator,
			Body: ref("DiscoverySettings"), Result: ref("DiscoverySettings"), Errors: []int{422}},

		{Route: "GET /api/v1/settings/tailscale/status", Tag: "discovery", Summary: "Whether a Tailscale API key is set", Auth: authOperator, Result: ref("TailscaleStatus")},
		{Route: "POST /api/v1/settings/tailscale/token", Tag: "discovery", Summary: "Store the Tailscale API key (sealed)", Auth: authOperator,
			Body: object(p("token", str()), opt("tailnet", str())), Result: ref("TailscaleStatus"), Errors: []int{422}},
		{Route: "DELETE /api/v1/settings/tailscale/token", Tag: "discovery", Summary: "Delete the Tailscale API key", Auth: authOperator, Status: 204, Errors: []int{404}},
		{Route: "POST /api/v1/settings/tailscale/test", Tag: "discovery", Summary: "Test the Tailscale API key", Auth: authOperator,
			Result: object(p("success", boolean()), opt("device_count", integer()), opt("message", str()))},
		{Route: "GET /api/v1/tailscale/devices", Tag: "discovery", Summary: "The tailnet's devices", Auth: authOperator,
			Result: object(p("devices", arrayOf(ref("DiscoveredDevice"))), p("count", integer())), Errors: []int{400}},
		{Route: "POST /api/v1/tailscale/import", Tag: "discovery", Summary: "Make a server of a tailnet device", Auth: authOperator,
			Doc:  "Reached over SSH at its Tailscale IPv4 address; server_id defaults to the device's host name.",
			Body: merge(object(p("device_id", str())), schema{}), Status: 201, Result: ref("ServerResponse"), Errors: []int{400, 404, 409, 422}},

		{Route: "POST /api/v1/discovery/services", Tag: "discovery", Summary: "List a host's systemd services over SSH", Auth: authOperator,
			Doc:    "With server_id, that server's SSH address and credentials; else hostname, port and username with the default credentials. For picking expected services. " + sshErr,
			Body:   object(opt("server_id", str()), opt("hostname", str()), opt("port", integer()), opt("username", str())),
			Result: object(p("services", arrayOf(ref("DiscoveredService"))), p("total", integer())), Errors: []int{400, 404, 409, 422}},
		{Route: "GET /api/v1/tailscale/import/check", Tag: "discovery", Summary: "Whether a host is a server already", Auth: authOperator,
			Query:  []param{{Name: "hostname", Desc: "Host name or address.", Schema: str(), Required: true}},
			Result: object(p("hostname", str()), p("imported", boolean()), p("server_id", nullable(str()))), Errors: []int{422}},
		{Route: "POST /api/v1/tailscale/devices/{tsid}/test-ssh", Tag: "discovery", Summary: "Test an SSH login to a tailnet device", Auth: authOperator,
			Doc: "At its Tailscale address with the default credentials. " + sshErr, Result: ref("SSHTestResult"), Errors: []int{400, 404, 409}},

		{Route: "GET /api/v1/config/packs", Tag: "config-packs", Summary: "The configuration packs", Auth: authOperator, Result: list("packs", ref("ConfigPack"))},
		{Route: "GET /api/v1/config/packs/{pack}", Tag: "config-packs", Summary: "A configuration pack", Auth: authOperator, Result: ref("ConfigPack"), Errors: []int{404}},
		{Route: "GET /api/v1/config/compliance", Tag: "config-packs", Summary: "Compliance of every server (its newest check)", Auth: authOperator,
			Result: object(p("servers", arrayOf(object(p("server_id", str()), p("display_name", str()), p("status", enum("compliant", "non_compliant", "never_checked")),
				p("mismatch_count", integer()), p("checked_at", nullable(dateTime())), opt("packs", arrayOf(str()))))), p("total", integer()))},
		{Route: "GET /api/v1/servers/{id}/config/packs", Tag: "config-packs", Summary: "Packs assigned to a server (base by default)", Auth: authOperator,
			Result: packsResult, Errors: []int{404}},
		{Route: "PUT /api/v1/servers/{id}/config/packs", Tag: "config-packs", Summary: "Assign packs to a server", Auth: authOperator,
			Doc:  "base is required (400 BASE_PACK_REQUIRED); every name must exist (400 UNKNOWN_PACK). drift_detection_enabled (off by default) makes every check of the server, and the scheduled ones (drift_check_interval), open or resolve a drift alert.",
			Body: object(opt("packs", arrayOf(str())), opt("drift_detection_enabled", boolean())), Result: packsResult, Errors: []int{400, 404}},
		{Route: "POST /api/v1/servers/{id}/config/check", Tag: "config-packs", Summary: "Check a server against its packs over SSH", Auth: authOperator,
			Doc: "Synchronous. " + sshErr, Result: ref("ConfigCheck"), Errors: []int{400, 404, 409}},
		{Route: "GET /api/v1/servers/{id}/config/checks", Tag: "config-packs", Summary: "A server's checks, newest first (the newest 100 are kept)", Auth: authOperator,
			Query:  []param{{Name: "limit", Desc: "At most this many (1–100, default 20).", Schema: integer()}},
			Result: object(p("checks", arrayOf(ref("ConfigCheck"))), p("total", integer())), Errors: []int{404, 422}},
		{Route: "GET /api/v1/servers/{id}/config/diff", Tag: "config-packs", Summary: "The items of the newest check that do not comply", Auth: authOperator,
			Result: object(p("server_id", str()), p("packs", arrayOf(str())), p("checked_at", dateTime()), p("mismatches", arrayOf(ref("ConfigPackItem"))), p("total", integer())),
			Errors: []int{404}},
	}, configApplyOperations()...)
}
