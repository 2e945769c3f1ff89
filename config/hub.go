package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/homelabcmd/homelabcmd"
)

// Hub holds the settings of `homelabcmd serve`.
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
	// Data tiers: raw samples, hourly and daily rollups, and how sparse
	// service history is while a state is unchanged.
	RetentionRaw          time.Duration
	RetentionHourly       time.Duration
	RetentionDaily        time.Duration
	HistorySampleInterval time.Duration
	// ChannelsFile declares notification channels in YAML (see ChannelSpec).
	ChannelsFile string
}

var hubOptions = []option{
	{key: "host"}, {key: "port"}, {key: "database_url"}, {key: "api_key", secret: true},
	{key: "external_url"}, {key: "log_level"}, {key: "log_format"},
	{key: "local_agent"}, {key: "local_server_id"}, {key: "offline_timeout"},
	{key: "restart_grace_period"}, {key: "restart_max"}, {key: "restart_window"}, {key: "action_timeout"},
	{key: "metrics_token", secret: true},
	{key: "retention_raw"}, {key: "retention_hourly"}, {key: "retention_daily"}, {key: "history_sample_interval"},
	{key: "channels_file"},
}

// LoadHub reads the hub settings: defaults, then the YAML file named by
// --config or HOMELAB_CMD_CONFIG, then HOMELAB_CMD_* variables, then flags.
// Errors name the source and the key.
func LoadHub(args, environ []string, stderr io.Writer) (*Hub, error) {
	c := &Hub{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "YAML config file (also HOMELAB_CMD_CONFIG)")
	fs.StringVar(&c.Host, "host", "0.0.0.0", "address to listen on")
	fs.IntVar(&c.Port, "port", 8080, "port to listen on")
	fs.StringVar(&c.DatabaseURL, "database-url", "sqlite:///./data/homelab.db", "sqlite:///relative.db, sqlite:////absolute.db or postgres://…")
	fs.StringVar(&c.APIKey, "api-key", "", "operator API key (generated and printed once when unset)")
	fs.StringVar(&c.ExternalURL, "external-url", "", "URL agents use to reach the hub (default: derived from requests)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.BoolVar(&c.LocalAgent, "local-agent", true, "also watch this machine with a built-in agent")
	fs.StringVar(&c.LocalServerID, "local-server-id", "", "server id of the built-in agent (default: from the hostname)")
	fs.DurationVar(&c.OfflineTimeout, "offline-timeout", 180*time.Second, "a server with no heartbeat for this long is offline")
	fs.DurationVar(&c.RestartGracePeriod, "restart-grace-period", 60*time.Second, "after a restart, no service-down alert until this passes; the unit must report running within it")
	fs.IntVar(&c.RestartMax, "restart-max", 3, "refuse a restart after this many restarts of a service within restart-window (0: no limit)")
	fs.DurationVar(&c.RestartWindow, "restart-window", 15*time.Minute, "window of restart-max")
	fs.DurationVar(&c.ActionTimeout, "action-timeout", 10*time.Minute, "an action the agent has not carried out by then fails with reason timeout")
	fs.StringVar(&c.MetricsToken, "metrics-token", "", "bearer token Prometheus must send to GET /metrics (empty: open)")
	fs.DurationVar(&c.RetentionRaw, "retention-raw", 30*24*time.Hour, "keep raw metrics and service status samples this long")
	fs.DurationVar(&c.RetentionHourly, "retention-hourly", 365*24*time.Hour, "keep hourly metric rollups this long")
	fs.DurationVar(&c.RetentionDaily, "retention-daily", 5*365*24*time.Hour, "keep daily metric rollups this long")
	fs.DurationVar(&c.HistorySampleInterval, "history-sample-interval", 10*time.Minute, "while a service's state is unchanged, keep a history sample at most this often (every transition is kept; 0: every report)")
	fs.StringVar(&c.ChannelsFile, "channels-file", "", "YAML list of notification channels to create or update on start")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: homelabcmd serve [flags]\n\nEvery flag can also be set as HOMELAB_CMD_<NAME> (e.g. HOMELAB_CMD_DATABASE_URL) or in the YAML file with its name in snake_case.\n\n")
		fs.PrintDefaults()
	}
	yamlValues, err := readYAML(configPath(EnvPrefix, args, environ))
	if err != nil {
		return nil, err
	}
	l := &layered{fs: fs, prefix: EnvPrefix, options: hubOptions}
	if err := l.apply(yamlValues, environ, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, c.Validate()
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
	if c.RetentionRaw < time.Hour || c.RetentionHourly < c.RetentionRaw || c.RetentionDaily < c.RetentionHourly {
		return errors.New("retention: need retention_raw ≥ 1h and retention_raw ≤ retention_hourly ≤ retention_daily")
	}
	if c.HistorySampleInterval < 0 {
		return errors.New("history_sample_interval: must not be negative")
	}
	if c.APIKey != "" && len(c.APIKey) < 16 {
		return errors.New("api_key: must be at least 16 characters; leave it unset to have one generated")
	}
	return nil
}

// Addr is the listen address.
func (c *Hub) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// readYAML reads a flat YAML mapping of setting names to scalar values.
func readYAML(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return parseYAML(b)
}

// parseYAML is separate from file IO so tests can feed inline YAML.
func parseYAML(b []byte) (map[string]string, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file: %v", err)
	}
	out := map[string]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case int, float64, bool:
			out[k] = fmt.Sprint(v)
		case nil:
		default:
			return nil, fmt.Errorf("config file: %s: must be a single value, not %T", k, v)
		}
	}
	return out, nil
}

// RestartPolicy returns the restart guard rails of this configuration.
func (c *Hub) RestartPolicy() homelabcmd.RestartPolicy {
	return homelabcmd.RestartPolicy{MaxRestarts: c.RestartMax, Window: c.RestartWindow,
		PickupTimeout: c.ActionTimeout, GracePeriod: c.RestartGracePeriod}
}
