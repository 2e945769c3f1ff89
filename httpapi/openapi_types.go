package httpapi

// Schemas of the bodies that handlers build by hand (anonymous structs and
// maps), and the ranges and patterns the Go types cannot say. Keep each one
// next to nothing but its handler's fields: when a handler changes a field,
// change it here too.

const (
	slugPattern = "^[a-z0-9-]+$"
	guidRegex   = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)

func handWrittenSchemas() map[string]schema {
	serverID := with(str(), "minLength", 1, "maxLength", 100, "pattern", slugPattern)
	hostname := with(str(), "minLength", 1, "maxLength", 255)
	sysStatus := enum("up", "down", "maintenance", "unknown")
	section := enum("servers", "workstations")
	cardOrder := object(p("servers", arrayOf(str())), p("workstations", arrayOf(str())))
	return map[string]schema{
		"CardOrder":         cardOrder,
		"SectionOrder":      object(p("sections", arrayOf(section))),
		"CollapsedSections": object(p("collapsed", arrayOf(section))),
		"DashboardPreferences": object(opt("card_order", cardOrder), opt("section_order", arrayOf(section)),
			opt("collapsed_sections", arrayOf(section))),
		"StatusPageConfig": object(p("enabled", with(boolean(), "default", false)), p("title", with(str(), "maxLength", 100, "default", "Homelab status")),
			p("servers", with(arrayOf(str()), "description", "Server ids shown, in order.")),
			p("services", with(arrayOf(str()), "description", "server_id/service_name pairs shown under their server."))),
		"PublicStatus": object(p("title", str()), p("overall", enum("operational", "degraded", "down")), p("message", str()),
			p("systems", arrayOf(object(p("name", str()), p("status", sysStatus),
				p("services", arrayOf(object(p("name", str()), p("status", enum("up", "down", "unknown")))))))),
			p("updated_at", dateTime())),
		"RestartQueued": object(p("action_id", integer()), p("action_type", str()), p("server_id", str()), p("service_name", str()),
			p("command", str()), p("status", enum("approved", "pending")), p("created_at", dateTime()),
			p("approved_at", nullable(dateTime())), p("approved_by", nullable(str()))),
		"ContainerActionQueued": object(p("action_id", integer()), p("action_type", enum("restart_container", "start_container", "stop_container")),
			p("server_id", str()), p("container_name", str()), p("command", str()), p("status", enum("approved", "pending")),
			p("created_at", dateTime()), p("approved_at", nullable(dateTime())), p("approved_by", nullable(str()))),
		"CreateContainerRequest": object(
			p("container_name", with(str(), "minLength", 1, "maxLength", 255, "pattern", `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`,
				"description", "Docker container name (as docker ps shows it; a compose service's container is <project>-<service>-1).")),
			opt("display_name", nullable(with(str(), "maxLength", 255))),
			opt("is_critical", with(boolean(), "default", false)),
			opt("enabled", with(boolean(), "default", true)),
		),
		"ContainerHistoryPage": object(
			p("server_id", str()),
			p("container_name", str()),
			p("history", arrayOf(ref("ServiceStatus"))),
			p("limit", integer()),
			p("next_cursor", with(nullable(str()), "description", "Pass as ?cursor= for the next page; null on the last page.")),
		),
		"UpgradeQueued": object(p("action_id", integer()), p("action_type", enum("upgrade_agent")), p("server_id", str()),
			p("command", str()), p("target_version", str()), p("status", enum("approved", "pending")), p("created_at", dateTime()),
			p("approved_at", nullable(dateTime())), p("approved_by", nullable(str()))),
		"UpgradesQueued": object(p("target_version", str()), p("action_ids", arrayOf(integer())), p("actions", arrayOf(ref("UpgradeQueued"))),
			p("skipped", arrayOf(object(p("server_id", str()), p("reason", str()), p("existing_action_id", integer()))))),
		"PackageList": object(p("server_id", str()), p("last_checked", nullable(dateTime())), p("total_count", integer()), p("security_count", integer()),
			p("packages", arrayOf(object(p("name", str()), p("current_version", str()), p("new_version", str()), p("repository", str()),
				p("is_security", boolean()), p("detected_at", dateTime()), p("updated_at", dateTime()))))),
		"CostConfig": object(p("electricity_rate", schema{"type": "number"}), p("currency_symbol", str()), p("updated_at", nullable(dateTime()))),
		"ActionPage": object(p("actions", arrayOf(ref("Action"))), p("total", integer()), p("limit", integer()), p("offset", integer())),
		"Error": object(p("detail", with(object(
			p("code", with(enum(errorCodes()...), "description", "Stable error code.")),
			p("message", strDesc("What is wrong, safe to show.")),
		), "additionalProperties", true))),
		"ValidationError": object(p("detail", arrayOf(object(
			p("type", strDesc("Kind of problem, e.g. value_error.")),
			p("loc", with(arrayOf(schema{"type": []any{"string", "integer"}}), "description", `Where: ["body", field…], ["query", name] or ["path", name].`)),
			p("msg", strDesc("What is wrong.")),
		)))),
		"Health": object(
			p("status", enum("healthy", "degraded")),
			p("version", str()),
			p("uptime_seconds", integer()),
			p("database", enum("connected", "disconnected")),
			p("database_writable", with(boolean(), "description", "A small write committed (checked at most every 10 s).")),
			p("database_engine", enum("sqlite", "postgres")),
			p("schema_version", nullable(integer())),
			p("timestamp", with(dateTime(), "description", "YYYY-MM-DDTHH:MM:SSZ")),
		),
		"CreateServerRequest": object(
			p("id", serverID),
			p("hostname", hostname),
			opt("display_name", nullable(with(str(), "maxLength", 255))),
			opt("ip_address", nullable(with(str(), "maxLength", 45))),
			opt("tdp_watts", nullable(with(integer(), "minimum", 0, "maximum", 10000))),
			opt("machine_type", with(enum("server", "workstation"), "default", "server")),
		),
		"CreateServiceRequest": object(
			p("service_name", with(str(), "minLength", 1, "maxLength", 255, "pattern", `^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-@]*)?$`,
				"description", "systemd unit name; without a unit-type suffix it means a .service unit.")),
			opt("display_name", nullable(with(str(), "maxLength", 255))),
			opt("is_critical", with(boolean(), "default", false)),
			opt("enabled", with(boolean(), "default", true)),
		),
		"MetricsHistory": object(
			p("server_id", str()),
			p("range", enum("24h", "7d", "30d", "12m")),
			p("resolution", enum("5m", "1h", "4h", "1d")),
			p("data_points", arrayOf(ref("MetricPoint"))),
			p("total_points", integer()),
		),
		"ServiceHistoryPage": object(
			p("server_id", str()),
			p("service_name", str()),
			p("history", arrayOf(ref("ServiceStatus"))),
			p("limit", integer()),
			p("next_cursor", with(nullable(str()), "description", "Pass as ?cursor= for the next page; null on the last page.")),
		),
		"CreateRegistrationTokenRequest": object(
			opt("mode", with(enum("readonly", "readwrite"), "default", "readonly")),
			opt("display_name", nullable(with(str(), "maxLength", 255))),
			opt("monitored_services", nullable(arrayOf(strDesc("systemd unit name")))),
			opt("expiry_minutes", with(integer(), "minimum", 5, "maximum", 60, "default", 15)),
			opt("allow_existing", with(boolean(), "default", false, "description", "Let the token take over a server id that already exists (without an active agent).")),
		),
		"RegistrationTokenCreated": object(
			p("id", with(integer(), "format", "int64")),
			p("token", strDesc("The secret (hlh_rt_…); shown only here.")),
			p("token_prefix", str()),
			p("expires_at", dateTime()),
			p("allow_existing", boolean()),
			p("install_command", str()),
		),
		"ClaimRequest": object(
			p("token", with(str(), "minLength", 40)),
			p("server_id", serverID),
			p("hostname", hostname),
		),
		"ClaimResponse": object(
			p("success", boolean()),
			p("server_id", str()),
			p("server_guid", str()),
			p("api_token", strDesc("The per-agent token (hlh_ag_…); shown only here.")),
			p("config_yaml", strDesc("The agent's config file.")),
			p("error", schema{"type": "null"}),
		),
		"AgentCredential": object(
			p("server_guid", str()),
			p("server_id", str()),
			p("api_token_prefix", str()),
			p("is_legacy", boolean()),
			p("last_used_at", nullable(dateTime())),
			p("is_revoked", boolean()),
			p("created_at", dateTime()),
		),
	}
}

// schemaExtras adds the contract's limits to generated schemas, keyed
// "Component.json_name".
var schemaExtras = func() map[string]schema {
	pct := schema{"minimum": 0, "maximum": 100}
	nonNeg := schema{"minimum": 0}
	m := map[string]schema{
		"Heartbeat.server_id":                   {"minLength": 1, "maxLength": 100, "pattern": slugPattern},
		"Heartbeat.hostname":                    {"minLength": 1, "maxLength": 255},
		"Heartbeat.timestamp":                   {"description": "ISO 8601; without an offset it is read as UTC."},
		"Heartbeat.server_guid":                 {"pattern": guidRegex},
		"Heartbeat.agent_version":               {"maxLength": 20},
		"Heartbeat.agent_mode":                  {"enum": []any{"readonly", "readwrite"}},
		"Heartbeat.updates_available":           nonNeg,
		"Heartbeat.security_updates":            nonNeg,
		"HeartbeatResponse.expected_services":   {"description": "Enabled expected services of the server (our extension)."},
		"HeartbeatResponse.expected_containers": {"description": "Enabled expected containers of the server (our extension); the agent acts only on these and its container_allowlist."},
		"Heartbeat.containers":                  {"description": "Every container of the host's container engine (our extension); absent when the agent has none to ask. Old agents without it stay valid.", "maxItems": 500},
		"ContainerReport.name":                  {"minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"},
		"ContainerReport.state":                 {"enum": []any{"running", "exited", "dead", "restarting", "paused", "created", "removing"}},
		"ContainerReport.health":                {"enum": []any{"healthy", "unhealthy", "starting", "none", ""}},
		"ContainerReport.restart_count":         nonNeg,
		"ContainerReport.memory_mb":             nonNeg,
		"ContainerReport.cpu_percent":           {"minimum": 0, "description": "Summed over cores, so above 100 is valid."},
		"OSInfo.distribution":                   {"maxLength": 100},
		"OSInfo.version":                        {"maxLength": 100},
		"OSInfo.kernel":                         {"maxLength": 100},
		"OSInfo.architecture":                   {"maxLength": 20},
		"CPUInfo.cpu_model":                     {"maxLength": 255},
		"CPUInfo.cpu_cores":                     {"minimum": 1, "maximum": 1024},
		"ServiceReport.name":                    {"minLength": 1, "maxLength": 255},
		"ServiceReport.status_reason":           {"maxLength": 255},
		"ServiceReport.pid":                     nonNeg,
		"ServiceReport.memory_mb":               nonNeg,
		"ServiceReport.cpu_percent":             {"minimum": 0, "description": "Summed over cores, so above 100 is valid."},
		"ServiceReport.restarts":                {"minimum": 0, "description": "systemd NRestarts (our extension)."},
		"Filesystem.mount_point":                {"maxLength": 255},
		"Filesystem.device":                     {"maxLength": 255},
		"Filesystem.fs_type":                    {"maxLength": 50},
		"Filesystem.percent":                    pct,
		"NetworkInterface.name":                 {"maxLength": 64},
		"ServerUpdate.hostname":                 {"minLength": 1, "maxLength": 255},
		"ServerUpdate.display_name":             {"maxLength": 255},
		"ServerUpdate.ip_address":               {"maxLength": 45},
		"ServerUpdate.tdp_watts":                {"minimum": 0, "maximum": 10000},
		"ServerUpdate.machine_type":             {"enum": []any{"server", "workstation"}},
		"ServerUpdate.idle_watts":               {"minimum": 0, "maximum": 10000},
		"ServerUpdate.machine_category":         {"maxLength": 50, "description": "sbc, mini_pc, nas, laptop, office_desktop, gaming_desktop, workstation, server, rack_server (any name ≤ 50 is kept; unknown ones use the server defaults). Sets machine_category_source to user; \"\" clears both so heartbeats infer it again."},
		"ServerUpdate.machine_category_source":  {"enum": []any{"", "auto", "user"}},
		"ExpectedServiceUpdate.display_name":    {"maxLength": 255, "description": "null clears it."},
		"Action.status":                         {"enum": []any{"pending", "approved", "executing", "completed", "failed", "rejected", "cancelled"}},
		"ServerResponse.status":                 {"enum": []any{"online", "offline", "unknown"}},
		"ServerResponse.machine_type":           {"enum": []any{"server", "workstation"}},
		"HeartbeatResponse.checks":              {"description": "Enabled checks the agent runs (our extension)."},
		"Heartbeat.check_results":               {"maxItems": 200, "description": "Results of the checks the hub handed the agent (our extension)."},
		"CheckResult.status":                    {"enum": []any{"up", "warn", "down"}},
		"CheckResult.method":                    {"description": "How a ping was made: icmp, or tcp when ICMP is not allowed."},
		"Check.type":                            {"enum": []any{"http", "tcp", "dns", "ping", "tls"}},
		"Check.quorum":                          {"minimum": 0, "description": "Agents that must see it failing; 0: all that report it."},
		"Check.retries":                         {"minimum": 0, "maximum": 10, "description": "Failures in a row ignored before an agent counts it down."},
		"Check.interval_seconds":                {"minimum": 10, "maximum": 86400},
		"Check.timeout_seconds":                 {"minimum": 1, "maximum": 60},
		"CheckAgentStatus.status":               {"enum": []any{"up", "warn", "down", "pending"}, "description": "pending: no status yet (its first results failed, within the check's retries). A status stays until a result moves it: down once failures in a row exceed the retries."},
		"Check.server_ids":                      {"description": "Servers that run it; ignored with all_agents."},
		"Check.tags":                            {"description": "It also runs on every server with one of these tags; ignored with all_agents."},
		"CheckOverview.state":                   {"enum": []any{"up", "warn", "down", "pending", "disabled"}},
	}
	for _, f := range []string{"cpu_percent", "memory_percent", "disk_percent"} {
		m["Metrics."+f] = pct
	}
	for _, f := range []string{"memory_total_mb", "memory_used_mb", "disk_total_gb", "disk_used_gb", "network_rx_bytes", "network_tx_bytes", "load_1m", "load_5m", "load_15m", "uptime_seconds"} {
		m["Metrics."+f] = nonNeg
	}
	for _, f := range []string{"total_bytes", "used_bytes", "available_bytes"} {
		m["Filesystem."+f] = nonNeg
	}
	return m
}()
