package homelabcmd

import "strings"

// Alert types: the names of the rows of alertKinds.
const (
	AlertService = "service"
	AlertOffline = "offline"
	AlertCPU     = "cpu"
	AlertMemory  = "memory"
	AlertDisk    = "disk"
	AlertReboot  = "reboot"
	// AlertReplayed is an outage seen only in heartbeats the agent kept
	// while the hub could not hear it.
	AlertReplayed = "replayed"
	// AlertUnit is an expected unit the agent cannot find (a typo?).
	AlertUnit = "unit"
	// AlertSystemd is an agent that cannot reach systemd at all.
	AlertSystemd = "systemd"
	// AlertCrashLoop is a unit that keeps crashing and being restarted.
	AlertCrashLoop = "crashloop"
	// AlertDrift is a server that no longer complies with its configuration
	// packs (checked over SSH; only for servers with drift detection on).
	AlertDrift = "drift"
	// AlertCheck is a check (HTTP, TCP, DNS, ping, TLS) failing from a
	// quorum of the agents that run it; service_name is the check's name.
	AlertCheck = "check"
	// AlertContainer is an expected container that is not running
	// (exited, dead, unhealthy).
	AlertContainer = "container"
	// AlertContainerLoop is a container in a restart loop.
	AlertContainerLoop = "container_loop"
	// AlertSecurityUpdates is a server whose agent has reported pending
	// security updates for the configured number of days (off by default).
	AlertSecurityUpdates = "security_updates"
)

// alertKinds is the table of alert kinds. Read it through AlertKinds and
// LookupAlertKind; the texts are asserted by the alerting and notify tests.
var alertKinds = []AlertKind{
	{
		Name: AlertService, Label: "Service", PerService: true,
		Texts: map[string]AlertText{
			"": {"Service {service} is {status} on {server}", "Expected service {service} on {server} is {status}."},
			CauseFailedRestart: {"Service {service} failed to start after a restart on {server}",
				"Expected service {service} on {server} failed to start after a restart: it is still {status} after the {grace} grace period."},
			CauseMissing: {"Service {service} is not reported on {server}",
				"The agent on {server} has not reported expected service {service} for {count} heartbeats in a row."},
		},
		Headline: "Service Alert", ResolvedHeadline: "Service {service} Running", Status: "Stopped/Failed",
		Hint: "Check service logs and consider restarting the service",
	},
	{
		Name: AlertOffline, Label: "Server offline", ThresholdKey: "server_offline_seconds",
		Texts:    map[string]AlertText{"": {"Server offline: {server}", "Server {server} is not responding to heartbeats."}},
		Headline: "Server Offline", ResolvedHeadline: "Server Back Online", Status: "Offline",
		Hint: "Check network connectivity and server power",
	},
	metricKind(AlertCPU, "CPU", "Identify and throttle CPU-intensive processes", MetricSpec{
		Field: "cpu_percent", Value: func(m *Metrics) *float64 { return m.CPUPercent }, Help: "CPU use",
		HighPercent: 85, CriticalPercent: 95, SustainedSeconds: 180}),
	metricKind(AlertMemory, "Memory", "Check for memory leaks or restart high-usage services", MetricSpec{
		Field: "memory_percent", Value: func(m *Metrics) *float64 { return m.MemoryPercent }, Help: "memory use",
		HighPercent: 85, CriticalPercent: 95, SustainedSeconds: 180}),
	metricKind(AlertDisk, "Disk", "Check for large log files or run disk cleanup", MetricSpec{
		Field: "disk_percent", Value: func(m *Metrics) *float64 { return m.DiskPercent }, Help: "root disk use",
		HighPercent: 80, CriticalPercent: 95, SustainedSeconds: 0}),
	{
		Name: AlertReboot, Label: "Unexpected reboot",
		Texts: map[string]AlertText{"": {"{server} rebooted",
			"{server} restarted unexpectedly: its uptime went back to {uptime}."}},
		Headline: "Server Rebooted", ResolvedHeadline: "Server Rebooted",
		Hint: "Check the journal of the previous boot (journalctl -b -1) for the cause",
	},
	{
		Name: AlertReplayed, Label: "Outage while unheard", PerService: true,
		Texts: map[string]AlertText{"": {"Service {service} was down on {server} while the hub could not hear it",
			"While the hub could not hear {server}: {service} was {status} for {duration}."}},
		Headline: "Outage While Unheard", ResolvedHeadline: "Outage While Unheard", Status: "Recovered",
		Hint: "Check service logs for the time of the outage",
	},
	{
		Name: AlertUnit, Label: "Unit not found", PerService: true,
		Texts: map[string]AlertText{"": {"{service} is not a unit on {server} (typo?)",
			"The agent on {server} has reported expected service {service} as \"unit not found\" for {count} heartbeats in a row, so it is not watched. Check the name, or install the unit."}},
		Headline: "Unit Not Found", ResolvedHeadline: "Unit {service} Found", Status: "Not found",
		Hint: "Fix the expected service's name (systemctl list-units on the server lists them)",
	},
	{
		Name: AlertSystemd, Label: "systemd unreachable",
		Texts: map[string]AlertText{"": {"systemd not reachable on {server}",
			"The agent on {server} cannot ask systemd about its expected services ({reason}), so none of them is watched."}},
		Headline: "systemd Not Reachable", ResolvedHeadline: "systemd Reachable", Status: "Unreachable",
		Hint: "Check that the agent can reach the system D-Bus (its unit, sandboxing and permissions)",
	},
	{
		Name: AlertCrashLoop, Label: "Crash loop", PerService: true,
		Texts: map[string]AlertText{"": {"Service {service} is crash-looping on {server}",
			"Service {service} on {server} was restarted {count} times within {window}, even if it reports running between crashes."}},
		Headline: "Crash Loop", ResolvedHeadline: "Service {service} No Longer Crash-Looping", Status: "Crash-looping",
		Hint: "Check the service's logs (journalctl -u) for why it keeps exiting",
	},
	{
		Name: AlertDrift, Label: "Configuration drift",
		Texts: map[string]AlertText{"": {"{server} drifted from its configuration packs",
			"{count} items of {server}'s configuration packs do not comply: {items}."}},
		Headline: "Configuration Drift", ResolvedHeadline: "Configuration Compliant", Status: "Drifted",
		Hint: "See the server's configuration diff (GET /api/v1/servers/{id}/config/diff) and fix or re-baseline the pack",
	},
	{
		Name: AlertCheck, Label: "Check", PerService: true,
		Texts: map[string]AlertText{
			"": {"Check {service} is {status} (from {count})",
				"Check {service} is {status} as seen from {count}: {reason}"},
			CheckWarn: {"Certificate of {service} expires soon (from {count})",
				"Check {service}: {reason}"},
		},
		Headline: "Check Failing", ResolvedHeadline: "Check {service} Up", Status: "Failing",
		Hint: "Open the check's per-agent results: a failure seen from one machine only points at its network path",
	},
	{
		Name: AlertContainer, Label: "Container", PerService: true,
		Texts: map[string]AlertText{
			"": {"Container {service} is {status} on {server}", "Expected container {service} on {server} is {status}."},
			CauseFailedRestart: {"Container {service} failed to start after a restart on {server}",
				"Expected container {service} on {server} failed to start after a restart: it is still {status} after the {grace} grace period."},
			CauseMissing: {"Container {service} is not reported on {server}",
				"The agent on {server} has not reported expected container {service} for {count} heartbeats in a row (removed or renamed?)."},
		},
		Headline: "Container Alert", ResolvedHeadline: "Container {service} Running", Status: "Exited/Dead/Unhealthy",
		Hint: "Check the container's logs (docker logs) and consider restarting it",
	},
	{
		Name: AlertContainerLoop, Label: "Container restart loop", PerService: true,
		Texts: map[string]AlertText{"": {"Container {service} is in a restart loop on {server}",
			"Container {service} on {server} was restarted {count} times within {window}, even if it reports running between crashes."}},
		Headline: "Container Restart Loop", ResolvedHeadline: "Container {service} No Longer Restart-Looping", Status: "Restart-looping",
		Hint: "Check the container's logs (docker logs) for why it keeps exiting",
	},
	{
		Name: AlertSecurityUpdates, Label: "Security updates pending", ThresholdKey: "security_updates_days",
		Texts: map[string]AlertText{"": {"Security updates pending on {server} for {days} days",
			"{server} has had security updates pending for {days} days ({count} now)."}},
		Headline: "Security Updates Pending", ResolvedHeadline: "Security Updates Applied", Status: "Pending",
		Hint: "Review the server's package list and apply the updates (an apply_updates action)",
	},
}

// metricKind fills in what every percentage metric shares: its threshold
// key is its name, and its texts and headlines follow one pattern.
func metricKind(name, label, hint string, m MetricSpec) AlertKind {
	m.Unit = "%"
	headline := strings.ToUpper(name) + " Usage Alert"
	return AlertKind{Name: name, Label: label, Metric: &m, ThresholdKey: name,
		Texts: map[string]AlertText{"": {"{Severity} " + label + " usage on {server}",
			label + " usage on {server} is {value}%, at or above the {threshold}% threshold."}},
		Headline: headline, ResolvedHeadline: headline, Hint: hint}
}
