// Package agent is the homelabcmd agent: it watches systemd units and the
// host, sends heartbeats to the hub on a clock and on every unit change, and
// keeps undelivered heartbeats in an on-disk outbox until the hub answers.
package agent

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/config/option"
)

// EnvPrefix prefixes the environment variables that override the file:
// HOMELAB_CMD_AGENT_HUB_URL, HOMELAB_CMD_AGENT_MONITORED_SERVICES, …
const EnvPrefix = "HOMELAB_CMD_AGENT_"

// DefaultConfigPath is where the original agent and `agent install` keep the file.
const DefaultConfigPath = "/etc/homelab-agent/config.yaml"

// Config is the agent's configuration. The YAML keys are those of the
// original agent (hub_url, server_id, api_token, api_key, server_guid,
// heartbeat_interval, monitored_services, mode) plus our own.
type Config struct {
	HubURL            string
	ServerID          string
	APIKey            string // legacy shared key, sent as X-API-Key
	AgentToken        string // per-agent token (api_token or agent_token), preferred over APIKey
	ServerGUID        string
	Hostname          string
	HeartbeatInterval time.Duration
	MonitoredServices []string
	// RestartAllowlist names units the hub may restart besides those in
	// MonitoredServices; no other unit is ever restarted.
	RestartAllowlist []string
	Mode             string // readonly or readwrite, sent as agent_mode

	OutboxDir      string
	OutboxMaxBytes int64
	OutboxMaxAge   time.Duration

	TLSCAFile             string
	TLSInsecureSkipVerify bool
	// PackageUpdates: check for and report package updates (agent/updates).
	PackageUpdates bool
	// PackageKit: list updates through PackageKit when it is on the bus.
	PackageKit bool
	// PackageCheckDelay holds the first update check after the start.
	PackageCheckDelay time.Duration
	// AptConfig is an apt configuration file used instead of the
	// machine's (APT_CONFIG): apt and dpkg then work on the package world
	// it names (a chroot, a container's root, a test's throwaway root).
	AptConfig string

	// SystemdBusAddress is the D-Bus address of systemd ("" = the system bus).
	SystemdBusAddress string
	// DockerHost is the container engine's socket ("unix:///…"; "off"
	// turns the container collector off).
	DockerHost string
	// ContainerAllowlist names containers the hub may restart, start and
	// stop besides its expected containers; no other container is touched.
	ContainerAllowlist []string
	LogLevel           string
}

// Defaults returns a Config with every default filled in.
func Defaults() *Config {
	c := &Config{}
	newOptionSet(c)
	return c
}

// ParseConfig reads YAML bytes (may be empty) over the defaults, then applies
// HOMELAB_CMD_AGENT_* variables from environ (and *_FILE for secrets), then
// validates. Every problem is reported, each naming its source and key.
// With forDryRun, the hub URL and credentials may be missing.
func ParseConfig(data []byte, environ []string, forDryRun bool) (*Config, error) {
	c, _, err := LoadConfig(data, environ)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(forDryRun); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadConfig layers YAML bytes and environ over the defaults as ParseConfig
// does, without validating, and returns the option set, which knows where
// each value came from (for `agent config dump`).
func LoadConfig(data []byte, environ []string) (*Config, *option.Set, error) {
	c := &Config{}
	set := newOptionSet(c)
	errs := set.ApplyFile(data)
	errs = append(errs, set.ApplyEnv(environ)...)
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return c, set, nil
}

// Validate checks every setting and returns all problems, each as "key: problem".
func (c *Config) Validate(forDryRun bool) error {
	var errs []error
	bad := func(k, format string, args ...any) { errs = append(errs, fmt.Errorf(k+": "+format, args...)) }
	c.HubURL = strings.TrimRight(c.HubURL, "/")
	if c.HubURL == "" {
		if !forDryRun {
			bad("hub_url", "required (e.g. http://hub.lan:8080)")
		}
	} else if u, err := url.Parse(c.HubURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("hub_url", "%q is not an http:// or https:// URL", c.HubURL)
	}
	if c.ServerID == "" {
		bad("server_id", "required: a name for this machine matching ^[a-z0-9-]+$")
	} else if err := homelabcmd.ValidateServerID(c.ServerID); err != nil {
		bad("server_id", "%s", homelabcmd.ErrorMessage(err))
	}
	if c.AgentToken == "" && c.APIKey == "" && !forDryRun {
		bad("api_key", "authentication required: set either api_token (with server_guid) or api_key")
	}
	if c.ServerGUID != "" {
		if err := homelabcmd.ValidateGUID("server_guid", c.ServerGUID); err != nil {
			bad("server_guid", "%q is not a UUID v4", c.ServerGUID)
		}
	} else if c.AgentToken != "" {
		bad("server_guid", "required with api_token: the hub checks the token against this GUID")
	}
	if c.Hostname == "" || len(c.Hostname) > 255 {
		bad("hostname", "must be 1-255 characters (the machine's hostname could not be read)")
	}
	if c.HeartbeatInterval < 5*time.Second || c.HeartbeatInterval > 24*time.Hour {
		bad("heartbeat_interval", "%v is out of range: 5 seconds to 24 hours", c.HeartbeatInterval)
	}
	for i, s := range c.MonitoredServices {
		if err := homelabcmd.ValidateUnitName(s); err != nil {
			bad(fmt.Sprintf("monitored_services[%d]", i), "%s", homelabcmd.ErrorMessage(err))
		}
	}
	for i, s := range c.RestartAllowlist {
		if err := homelabcmd.ValidateUnitName(s); err != nil {
			bad(fmt.Sprintf("restart_allowlist[%d]", i), "%s", homelabcmd.ErrorMessage(err))
		}
	}
	for i, s := range c.ContainerAllowlist {
		if err := homelabcmd.ValidateContainerName(s); err != nil {
			bad(fmt.Sprintf("container_allowlist[%d]", i), "%s", homelabcmd.ErrorMessage(err))
		}
	}
	if h := c.DockerHost; h != "" && h != "off" && !strings.HasPrefix(h, "unix:///") && !strings.HasPrefix(h, "/") {
		bad("docker_host", "%q is not a unix socket (unix:///var/run/docker.sock) or off", h)
	}
	if c.Mode != "readonly" && c.Mode != "readwrite" {
		bad("mode", "%q is not readonly or readwrite", c.Mode)
	}
	if c.OutboxDir == "" {
		bad("outbox_dir", "required")
	}
	if c.PackageCheckDelay < 0 || c.PackageCheckDelay > 24*time.Hour {
		bad("package_check_delay", "%v is out of range: 0 to 24 hours", c.PackageCheckDelay)
	}
	if c.AptConfig != "" {
		if _, err := os.Stat(c.AptConfig); err != nil {
			bad("apt_config", "%v", err)
		}
	}
	if c.OutboxMaxBytes < 64<<10 {
		bad("outbox_max_bytes", "%d is too small: at least 64KB", c.OutboxMaxBytes)
	}
	if c.OutboxMaxAge < time.Minute {
		bad("outbox_max_age", "%v is too short: at least 1m", c.OutboxMaxAge)
	}
	if c.TLSCAFile != "" {
		if _, err := loadCA(c.TLSCAFile); err != nil {
			bad("tls_ca_file", "%v", err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	return errors.Join(errs...)
}

// HTTPClient returns the client for the hub: certificate verification on
// (against the system roots plus tls_ca_file) unless turned off.
func (c *Config) HTTPClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSInsecureSkipVerify}
	if c.TLSCAFile != "" {
		pool, err := loadCA(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	tr.MaxIdleConns, tr.IdleConnTimeout = 2, 90*time.Second
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
