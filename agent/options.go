package agent

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd/config/option"
)

// ignoredKeys are written by the original hub and installer and have no
// meaning here; they are accepted so old files keep working.
var ignoredKeys = []string{"command_execution", "command_execution_enabled", "core_services"}

// newOptionSet binds the agent's option table to c and fills in the
// defaults (the hostname is the machine's, read now).
func newOptionSet(c *Config) *option.Set {
	set := option.New(EnvPrefix, agentOptions(c))
	set.Ignore(ignoredKeys...)
	c.Hostname, _ = os.Hostname()
	return set
}

// agentOptions is the agent's option table, bound to c, in the order of the
// README's "Config keys" table (a test keeps the two equal). Each key is
// also the variable HOMELAB_CMD_AGENT_KEY; the agent has no option flags.
func agentOptions(c *Config) []option.Option {
	o := func(name, def, doc, meaning string, set func(any) error, show func() string) option.Option {
		return option.Option{Name: name, Env: EnvPrefix + strings.ToUpper(name), Default: def, DocDefault: doc,
			Meaning: meaning, Value: option.Funcs(set, show)}
	}
	secret := func(o option.Option, aliases ...string) option.Option {
		o.Secret, o.Aliases = true, aliases
		return o
	}
	str := func(p *string) func() string { return func() string { return *p } }
	dur := func(p *time.Duration) func() string { return func() string { return option.FormatDuration(*p) } }
	list := func(p *[]string) func() string { return func() string { return strings.Join(*p, ",") } }
	return []option.Option{
		o("hub_url", "", "required", "the hub, `http://` or `https://`; a trailing `/` is dropped",
			func(v any) error { return setString(&c.HubURL, v) }, str(&c.HubURL)),
		o("server_id", "", "required", "this machine's id on the hub, `^[a-z0-9-]+$`, 1–100 characters",
			func(v any) error { return setString(&c.ServerID, v) }, str(&c.ServerID)),
		secret(o("api_token", "", "", "per-agent token, sent as `X-Agent-Token` with `X-Server-GUID`; preferred over `api_key`",
			func(v any) error { return setString(&c.AgentToken, v) }, str(&c.AgentToken)), "agent_token"),
		o("server_guid", "", "", "this agent's UUID v4 (uppercase is lowercased); required with `api_token`",
			func(v any) error {
				err := setString(&c.ServerGUID, v)
				c.ServerGUID = strings.ToLower(c.ServerGUID)
				return err
			}, str(&c.ServerGUID)),
		secret(o("api_key", "", "", "the operator key, sent as `X-API-Key` (one of `api_token`, `api_key` is required)",
			func(v any) error { return setString(&c.APIKey, v) }, str(&c.APIKey))),
		o("heartbeat_interval", "60", "", "seconds (or a duration: `90s`, `5m`) between full heartbeats, 5 s to 24 h",
			func(v any) error { return setDuration(&c.HeartbeatInterval, v, time.Second) }, dur(&c.HeartbeatInterval)),
		o("monitored_services", "", "none", "units to watch; a name without a suffix means `.service`",
			func(v any) error { return setList(&c.MonitoredServices, v) }, list(&c.MonitoredServices)),
		o("restart_allowlist", "", "`[]`", "units the hub may restart besides `monitored_services` (list, or comma-separated in the environment); no other unit is ever restarted",
			func(v any) error { return setList(&c.RestartAllowlist, v) }, list(&c.RestartAllowlist)),
		o("mode", "readonly", "", "`readonly` or `readwrite` (any case), sent as `agent_mode`",
			func(v any) error {
				err := setString(&c.Mode, v)
				c.Mode = strings.ToLower(c.Mode)
				return err
			}, str(&c.Mode)),
		o("package_updates", "true", "", "check for package updates (apt or dnf, in the background, every 6 h and when the package database changes) and report them",
			func(v any) error { return setBool(&c.PackageUpdates, v) }, func() string { return strconv.FormatBool(c.PackageUpdates) }),
		o("packagekit", "true", "", "list updates through PackageKit over D-Bus when it runs or can be started on the system bus (milliseconds of CPU a check instead of apt's seconds); updates are still applied with apt or dnf",
			func(v any) error { return setBool(&c.PackageKit, v) }, func() string { return strconv.FormatBool(c.PackageKit) }),
		o("package_check_delay", "2m", "", "how long after the agent starts the first update check waits (a boot is busy enough), 0 to 24 h",
			func(v any) error { return setDuration(&c.PackageCheckDelay, v, time.Second) }, dur(&c.PackageCheckDelay)),
		o("apt_config", "", "the machine's", "apt configuration file used for listing and applying updates (`APT_CONFIG`): apt and dpkg work on the package world it names, e.g. a chroot's",
			func(v any) error { return setString(&c.AptConfig, v) }, str(&c.AptConfig)),
		o("hostname", "", "the machine's", "reported hostname",
			func(v any) error { return setString(&c.Hostname, v) }, str(&c.Hostname)),
		o("outbox_dir", "/var/lib/homelab-agent/outbox", "", "where undelivered heartbeats wait (created 0700)",
			func(v any) error { return setString(&c.OutboxDir, v) }, str(&c.OutboxDir)),
		o("outbox_max_bytes", "64MB", "", "bound on the outbox; bytes or `KB`/`MB`/`GB`",
			func(v any) error { return setSize(&c.OutboxMaxBytes, v) }, func() string { return formatSize(c.OutboxMaxBytes) }),
		o("outbox_max_age", "7d", "", "heartbeats older than this are dropped from the outbox",
			func(v any) error { return setDuration(&c.OutboxMaxAge, v, time.Second) }, dur(&c.OutboxMaxAge)),
		o("tls_ca_file", "", "", "PEM CA certificate(s) trusted besides the system roots",
			func(v any) error { return setString(&c.TLSCAFile, v) }, str(&c.TLSCAFile)),
		o("tls_insecure_skip_verify", "false", "", "turn certificate verification off (logged as a warning)",
			func(v any) error { return setBool(&c.TLSInsecureSkipVerify, v) }, func() string { return strconv.FormatBool(c.TLSInsecureSkipVerify) }),
		o("systemd_bus_address", "", "the system bus", "D-Bus address of systemd, e.g. `unix:path=/run/dbus/system_bus_socket`",
			func(v any) error { return setString(&c.SystemdBusAddress, v) }, str(&c.SystemdBusAddress)),
		o("docker_host", "unix:///var/run/docker.sock", "", "the Docker Engine API socket (Podman: `unix:///run/podman/podman.sock` with `podman system service`); `off` turns the container collector off",
			func(v any) error { return setString(&c.DockerHost, v) }, str(&c.DockerHost)),
		o("container_allowlist", "", "`[]`", "containers the hub may restart, start and stop besides its expected containers; no other container is touched",
			func(v any) error { return setList(&c.ContainerAllowlist, v) }, list(&c.ContainerAllowlist)),
		o("log_level", "info", "", "`debug`, `info`, `warn` or `error`",
			func(v any) error { return setString(&c.LogLevel, v) }, str(&c.LogLevel)),
	}
}

// formatSize prints bytes in the largest unit that divides them: 64MB.
func formatSize(n int64) string {
	for _, u := range []struct {
		suf string
		m   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if n != 0 && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.suf
		}
	}
	return strconv.FormatInt(n, 10)
}
