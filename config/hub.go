// Package config reads the hub's settings from a YAML file, HOMELAB_CMD_*
// environment variables and command-line flags, in that order of precedence
// (a flag beats the environment, which beats the file), through the option
// table in hubopts.go; and the notification channels file.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/config/option"
	"github.com/homelabcmd/homelabcmd/mqttconn"
	"github.com/homelabcmd/homelabcmd/oidclogin"
)

// Hub holds the settings of `homelabcmd serve`; hubOptions says where
// each comes from.
type Hub struct {
	Host           string
	Port           int
	DatabaseURL    string
	APIKey         string
	ExternalURL    string
	LogLevel       string
	LogFormat      string
	LocalAgent     bool
	LocalServerID  string
	OfflineTimeout time.Duration
	// Restart guard rails (see homelabcmd.RestartPolicy).
	RestartGracePeriod time.Duration
	RestartMax         int
	RestartWindow      time.Duration
	ActionTimeout      time.Duration
	MetricsToken       string
	// MetricsAllow may scrape /metrics without the token.
	MetricsAllow []netip.Prefix
	// TrustedProxies are believed about X-Forwarded-*.
	TrustedProxies []netip.Prefix
	// CORSOrigins may call the API from their pages (cors_origins).
	CORSOrigins []string
	// MaxConnections caps open HTTP connections.
	MaxConnections int
	// NotifyAllowPrivate lets channels reach private addresses.
	NotifyAllowPrivate bool
	// Data tiers: raw samples, hourly and daily rollups, and how sparse
	// service history is while a state is unchanged.
	RetentionRaw          time.Duration
	RetentionHistory      time.Duration
	RetentionHourly       time.Duration
	RetentionDaily        time.Duration
	HistorySampleInterval time.Duration
	// ChannelsFile declares notification channels in YAML (see ChannelSpec).
	ChannelsFile string
	// PulseURL is the dead man's switch: pinged every PulseInterval while
	// the hub is healthy ("" for none).
	PulseURL      string
	PulseInterval time.Duration
	// Home Assistant over MQTT ("" MQTTURL: off).
	MQTTURL             string
	MQTTUsername        string
	MQTTPassword        string
	MQTTDiscoveryPrefix string
	MQTTTopicPrefix     string
	MQTTRestartButtons  bool

	// Single sign-on with an OpenID provider; off while OIDCIssuer is "".
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCRoleClaim    string
	// OIDCRoles maps claim values to roles: "value=role,value=role".
	OIDCRoles string
	// AgentsDir holds the agent binaries served to agents
	// (homelabcmd-agent-linux-<arch>); "" is the executable's folder.
	AgentsDir string
	// TLSCert and TLSKey, both or neither, make serve speak HTTPS.
	TLSCert, TLSKey string
	// SecretsKeyFile seals SSH credentials and the Tailscale API key; ""
	// is secrets.key beside the SQLite database (./data with PostgreSQL).
	SecretsKeyFile string
	// TailscaleAPIURL is the Tailscale API's base URL.
	TailscaleAPIURL string
	// DriftCheckInterval is how often servers with drift detection on are
	// checked against their configuration packs; 0 never.
	DriftCheckInterval time.Duration

	// set knows where each value came from (nil for a Hub built in code).
	set *option.Set
}

// LoadHub reads the hub settings: defaults, then the YAML file named by
// --config or HOMELAB_CMD_CONFIG, then HOMELAB_CMD_* variables, then flags.
// Errors name the source and the key.
func LoadHub(args, environ []string, stderr io.Writer) (*Hub, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: homelabcmd serve [flags]\n\n%s\n\n", FlagHelp)
		fs.PrintDefaults()
	}
	c, _, _, err := ParseHub(fs, args, environ)
	if err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// FlagHelp says how flags map to the other sources, for usage messages.
const FlagHelp = "Every flag can also be set as HOMELAB_CMD_<NAME> (e.g. HOMELAB_CMD_DATABASE_URL) or in the YAML file with its name in snake_case."

// ParseHub reads the settings as LoadHub does, without validating them. It
// defines --config and the options' flags on fs (which may hold more flags;
// its Usage is the caller's) and returns the option set, which knows where
// each value came from, and the config file it read ("" for none).
func ParseHub(fs *flag.FlagSet, args, environ []string) (*Hub, *option.Set, string, error) {
	c := &Hub{}
	set := option.New(EnvPrefix, hubOptions(c))
	c.set = set
	fs.String("config", "", "YAML config file (also HOMELAB_CMD_CONFIG)")
	set.DefineFlags(fs)
	path := configPath(EnvPrefix, args, environ)
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, "", fmt.Errorf("config file: %w", err)
		}
		if errs := set.ApplyFile(b); len(errs) > 0 {
			return nil, nil, "", errs[0]
		}
	}
	if errs := set.ApplyEnv(environ); len(errs) > 0 {
		return nil, nil, "", errs[0]
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, "", err
	}
	if fs.NArg() > 0 {
		return nil, nil, "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, set, path, nil
}

// configPath finds --config/-config in args, else NAME_CONFIG in environ:
// the file must be read before the flags are parsed, since flags beat it.
func configPath(prefix string, args, environ []string) string {
	for i, a := range args {
		for _, p := range []string{"--config=", "-config="} {
			if strings.HasPrefix(a, p) {
				return strings.TrimPrefix(a, p)
			}
		}
		if (a == "--config" || a == "-config") && i+1 < len(args) {
			return args[i+1]
		}
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, prefix+"CONFIG="); ok {
			return v
		}
	}
	return ""
}

// Validate checks each setting.
func (c *Hub) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port: %d is not a TCP port", c.Port)
	}
	if c.Host != "" && net.ParseIP(c.Host) == nil && c.Host != "localhost" {
		if _, err := net.LookupHost(c.Host); err != nil {
			return fmt.Errorf("host: %q is not an address of this machine", c.Host)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log_format: %q is not text or json", c.LogFormat)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("tls_cert and tls_key: give both or neither")
	}
	if c.OfflineTimeout < 30*time.Second {
		return errors.New("offline_timeout: must be at least 30s")
	}
	if c.RestartGracePeriod < 0 || c.RestartGracePeriod > time.Hour {
		return errors.New("restart_grace_period: must be between 0s and 1h")
	}
	if c.RestartMax < 0 || c.RestartWindow <= 0 {
		return errors.New("restart_max must not be negative and restart_window must be positive")
	}
	if c.ActionTimeout < 30*time.Second {
		return errors.New("action_timeout: must be at least 30s")
	}
	if _, set := c.Explicit("retention_history"); !set && c.RetentionHistory < c.RetentionRaw {
		// A retention_raw set longer before retention_history existed
		// keeps its whole history, as it did.
		c.RetentionHistory = c.RetentionRaw
	}
	if c.RetentionRaw < time.Hour || c.RetentionHourly < c.RetentionRaw || c.RetentionDaily < c.RetentionHourly || c.RetentionHistory < c.RetentionRaw {
		return errors.New("retention: need retention_raw ≥ 1h, retention_raw ≤ retention_hourly ≤ retention_daily and retention_raw ≤ retention_history")
	}
	if c.HistorySampleInterval < 0 {
		return errors.New("history_sample_interval: must not be negative")
	}
	if c.PulseURL != "" {
		if u, err := url.Parse(c.PulseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("pulse_url: must be an http(s) URL")
		}
	}
	if c.PulseInterval < time.Second {
		return errors.New("pulse_interval: must be at least 1s")
	}
	if c.MQTTURL != "" {
		if _, err := mqttconn.ParseURL(c.MQTTURL); err != nil {
			return fmt.Errorf("mqtt_url: %w (credentials go in mqtt_username and mqtt_password)", err)
		}
	}
	for _, p := range []struct{ name, v string }{{"mqtt_discovery_prefix", c.MQTTDiscoveryPrefix}, {"mqtt_topic_prefix", c.MQTTTopicPrefix}} {
		if v := strings.Trim(p.v, "/"); v == "" || strings.ContainsAny(v, "+#") || strings.HasPrefix(v, "$") {
			return fmt.Errorf("%s: %q must be a topic without + or # (and not start with $)", p.name, p.v)
		}
	}
	if c.MaxConnections < 16 {
		return errors.New("max_connections: must be at least 16")
	}
	if c.APIKey != "" && len(c.APIKey) < 16 {
		return errors.New("api_key: must be at least 16 characters; leave it unset to have one generated")
	}
	if c.OIDCIssuer != "" {
		if u, err := url.Parse(c.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("oidc_issuer: %q is not an http(s) URL", c.OIDCIssuer)
		}
		if c.OIDCClientID == "" || c.OIDCRoleClaim == "" {
			return errors.New("oidc_client_id and oidc_role_claim are required with oidc_issuer")
		}
		if _, err := oidclogin.ParseRoles(c.OIDCRoles); err != nil {
			return fmt.Errorf("oidc_roles: %s", homelabcmd.ErrorMessage(err))
		}
	}
	return nil
}

// SingleSignOn returns the OpenID provider settings, or nil when off.
// Call it after Validate.
func (c *Hub) SingleSignOn() *oidclogin.Config {
	if c.OIDCIssuer == "" {
		return nil
	}
	roles, _ := oidclogin.ParseRoles(c.OIDCRoles)
	return &oidclogin.Config{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
		RoleClaim: c.OIDCRoleClaim, Roles: roles}
}

// Addr is the listen address.
func (c *Hub) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// RestartPolicy returns the restart guard rails of this configuration.
func (c *Hub) RestartPolicy() homelabcmd.RestartPolicy {
	return homelabcmd.RestartPolicy{MaxRestarts: c.RestartMax, Window: c.RestartWindow,
		PickupTimeout: c.ActionTimeout, GracePeriod: c.RestartGracePeriod}
}

// Explicit returns how the option named name was set when it was given
// explicitly (flag, environment or file), for settings that such a value
// pins against the dashboard; ok is false for a default or an unknown name.
func (c *Hub) Explicit(name string) (e option.Entry, ok bool) {
	if c.set == nil {
		return option.Entry{}, false
	}
	src := c.set.Source(name)
	if src != option.Flag && src != option.Env && src != option.File {
		return option.Entry{}, false
	}
	for _, e := range c.set.Entries() {
		if e.Name == name {
			return e, true
		}
	}
	return option.Entry{}, false
}
