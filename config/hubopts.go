package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd/config/option"
)

// EnvPrefix is the prefix of every hub environment variable.
const EnvPrefix = "HOMELAB_CMD_"

// hubOptions is the hub's option table, bound to c, in the order of the
// README's "Configuration" table (a test keeps the two equal). Each option
// is YAML key name, variable HOMELAB_CMD_NAME and flag --name (with "-").
func hubOptions(c *Hub) []option.Option {
	o := func(name, def, doc, meaning string, v option.Value) option.Option {
		return option.Option{Name: name, Env: EnvPrefix + strings.ToUpper(name), Flag: strings.ReplaceAll(name, "_", "-"),
			Default: def, DocDefault: doc, Meaning: meaning, Value: v}
	}
	secret := func(o option.Option) option.Option { o.Secret = true; return o }
	return []option.Option{
		o("host", "0.0.0.0", "", "address to listen on", str{&c.Host}),
		o("port", "8080", "", "port to listen on", integer{&c.Port}),
		o("database_url", "sqlite:///./data/homelab.db", "", "`sqlite:///relative.db`, `sqlite:////absolute.db` or `postgres://user@host/db`", dbURL{str{&c.DatabaseURL}}),
		secret(o("api_key", "", "generated", "operator API key (at least 16 characters)", str{&c.APIKey})),
		o("external_url", "", "from requests", "URL agents use to reach the hub", str{&c.ExternalURL}),
		o("log_level", "info", "", "`debug`, `info`, `warn`, `error`", str{&c.LogLevel}),
		o("log_format", "text", "", "`text` or `json`", str{&c.LogFormat}),
		o("local_agent", "true", "", "also watch the hub's own machine", boolean{&c.LocalAgent}),
		o("local_server_id", "", "from hostname", "server id of the built-in agent", str{&c.LocalServerID}),
		o("offline_timeout", "180s", "", "no heartbeat for this long → offline", duration{&c.OfflineTimeout}),
		o("restart_grace_period", "60s", "", "a restarted unit must report running within this", duration{&c.RestartGracePeriod}),
		o("restart_max", "3", "", "refuse a further restart after this many in `restart_window` (crash loop; `0`: no limit)", integer{&c.RestartMax}),
		o("restart_window", "15m", "", "the window of `restart_max`", duration{&c.RestartWindow}),
		o("action_timeout", "10m", "", "an action the agent has not carried out by then fails with reason `timeout`", duration{&c.ActionTimeout}),
		o("history_sample_interval", "10m", "", "while a service's state is unchanged, keep a history sample at most this often (transitions always; `0` = every report)", duration{&c.HistorySampleInterval}),
		o("retention_raw", "168h", "", "how long raw metrics and every service status sample are kept (then hourly rollups, and `retention_history`)", duration{&c.RetentionRaw}),
		o("retention_history", "720h", "", "how long service status history is kept: every sample for `retention_raw`, then its state changes and one sample an hour", duration{&c.RetentionHistory}),
		o("retention_hourly", "8760h", "", "how long hourly metric rollups are kept", duration{&c.RetentionHourly}),
		o("retention_daily", "43800h", "", "how long daily metric rollups are kept", duration{&c.RetentionDaily}),
		secret(o("metrics_token", "", "none", "bearer token for `GET /metrics`; with it, any address may scrape", str{&c.MetricsToken})),
		o("metrics_allow", "127.0.0.1/32,::1/128", "`127.0.0.1/32,::1/128`", "addresses (CIDR list) that may scrape `GET /metrics` without the token; empty: only with the token", cidrs{&c.MetricsAllow}),
		o("trusted_proxies", "", "none", "reverse proxies (CIDR list, e.g. `127.0.0.1/32,10.0.0.5/32`) whose `X-Forwarded-Proto`, `-Host` and `-For` are believed; nobody else's are", cidrs{&c.TrustedProxies}),
		o("cors_origins", "", "none", "browser origins (comma-separated, e.g. `https://dash.example.lan`) that may call the API with `X-API-Key` from their pages (CORS, no cookies); off when empty", origins{&c.CORSOrigins}),
		o("max_connections", "4096", "", "open connections at most; more wait to be accepted (each address: at most 256, except 127.0.0.1, ::1 and trusted proxies)", integer{&c.MaxConnections}),
		o("notify_allow_private", "false", "", "let notification channels reach private, loopback and link-local addresses (ntfy, Gotify or SMTP on your LAN)", boolean{&c.NotifyAllowPrivate}),
		o("channels_file", "", "none", "YAML list of notification channels to create or update on start (see \"Alerts and notifications\")", str{&c.ChannelsFile}),
		secret(o("pulse_url", "", "none", "dead man's switch: URL to `GET` every `pulse_interval` while the hub is healthy (see \"The hub's own pulse\")", str{&c.PulseURL})),
		o("pulse_interval", "60s", "", "how often the hub pings `pulse_url`", duration{&c.PulseInterval}),
		o("mqtt_url", "", "none", "MQTT broker for Home Assistant, `mqtt://host:1883` or `mqtts://host:8883` (see \"Home Assistant\")", str{&c.MQTTURL}),
		o("mqtt_username", "", "none", "user name at the MQTT broker", str{&c.MQTTUsername}),
		secret(o("mqtt_password", "", "none", "password at the MQTT broker", str{&c.MQTTPassword})),
		o("mqtt_discovery_prefix", "homeassistant", "", "Home Assistant's MQTT discovery prefix", str{&c.MQTTDiscoveryPrefix}),
		o("mqtt_topic_prefix", "homelabcmd", "", "root of the hub's state, command and status topics", str{&c.MQTTTopicPrefix}),
		o("mqtt_restart_buttons", "true", "", "a restart button per expected unit in Home Assistant (`false`: sensors only)", boolean{&c.MQTTRestartButtons}),
		o("oidc_issuer", "", "none", "OpenID provider for single sign-on, e.g. `https://auth.example.lan/realms/home` (off when unset; see docs/security.md)", str{&c.OIDCIssuer}),
		o("oidc_client_id", "", "none", "the hub's client id at the provider", str{&c.OIDCClientID}),
		secret(o("oidc_client_secret", "", "none", "the hub's client secret at the provider", str{&c.OIDCClientSecret})),
		o("oidc_role_claim", "groups", "", "claim (a string or a list) whose values give the role", str{&c.OIDCRoleClaim}),
		o("oidc_roles", "", "none", "claim value → role, e.g. `homelab-admins=admin,family=viewer`; the highest match wins, no match is refused", str{&c.OIDCRoles}),
		o("agents_dir", "", "the hub's folder", "folder of agent binaries served to agents (`homelabcmd-agent-linux-amd64`, `-arm64`, `-armv7` from a release); without one, only the hub's own binary for its own architecture", str{&c.AgentsDir}),
		o("tls_cert", "", "none", "PEM certificate (chain) file: serve HTTPS; reloaded when the file changes", str{&c.TLSCert}),
		o("tls_key", "", "none", "PEM private key file of `tls_cert`", str{&c.TLSKey}),
		o("secrets_key_file", "", "`secrets.key` beside the SQLite database (`./data/` with PostgreSQL)", "key file (mode 0600, created on first need) that seals SSH credentials and the Tailscale API key; keep it out of database backups (rotation: docs/security.md)", str{&c.SecretsKeyFile}),
		o("tailscale_api_url", "https://api.tailscale.com", "", "base URL of the Tailscale API (device discovery)", str{&c.TailscaleAPIURL}),
		o("drift_check_interval", "6h", "", "how often servers with drift detection on are checked against their configuration packs over SSH (`0`: never)", duration{&c.DriftCheckInterval}),
	}
}

// The hub's values take one scalar each, from the file as from a flag:
// YAML numbers and booleans are read as their text, then parsed as the
// flag package would.

type str struct{ p *string }

func (v str) Set(x any) error {
	s, err := option.Scalar(x)
	if err == nil {
		*v.p = s
	}
	return err
}
func (v str) String() string { return *v.p }

// dbURL shows a database URL without its password.
type dbURL struct{ str }

func (v dbURL) String() string {
	if u, err := url.Parse(*v.p); err == nil && u.User != nil {
		return u.Redacted()
	}
	return *v.p
}

// cidrs is a comma-separated list of CIDR prefixes (a bare address means
// just that address).
type cidrs struct{ p *[]netip.Prefix }

func (v cidrs) Set(x any) error {
	s, err := option.Scalar(x)
	if err != nil {
		return err
	}
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("%q is not a CIDR prefix (e.g. 192.168.1.0/24) or an address", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	*v.p = out
	return nil
}

func (v cidrs) String() string {
	parts := make([]string, len(*v.p))
	for i, p := range *v.p {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

type origins struct{ p *[]string }

func (v origins) Set(x any) error {
	s, err := option.Scalar(x)
	if err != nil {
		return err
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("%q is not an origin (scheme://host[:port], e.g. https://dash.example.lan)", f)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	*v.p = out
	return nil
}

func (v origins) String() string { return strings.Join(*v.p, ",") }

type integer struct{ p *int }

func (v integer) Set(x any) error {
	s, err := option.Scalar(x)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v.p = int(n)
	return nil
}
func (v integer) String() string { return strconv.Itoa(*v.p) }

type boolean struct{ p *bool }

func (v boolean) Set(x any) error {
	s, err := option.Scalar(x)
	if err != nil {
		return err
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v.p = b
	return nil
}
func (v boolean) String() string   { return strconv.FormatBool(*v.p) }
func (v boolean) IsBoolFlag() bool { return true }

type duration struct{ p *time.Duration }

func (v duration) Set(x any) error {
	s, err := option.Scalar(x)
	if err != nil {
		return err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 90s, 15m, 720h)", s)
	}
	*v.p = d
	return nil
}
func (v duration) String() string { return option.FormatDuration(*v.p) }
