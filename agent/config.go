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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"go.yaml.in/yaml/v3"
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

	// SystemdBusAddress is the D-Bus address of systemd ("" = the system bus).
	SystemdBusAddress string
	LogLevel          string
}

// Defaults returns a Config with every default filled in.
func Defaults() *Config {
	host, _ := os.Hostname()
	return &Config{
		HeartbeatInterval: 60 * time.Second,
		Mode:              "readonly",
		Hostname:          host,
		OutboxDir:         "/var/lib/homelab-agent/outbox",
		OutboxMaxBytes:    64 << 20,
		OutboxMaxAge:      7 * 24 * time.Hour,
		LogLevel:          "info",
	}
}

// key is one setting: how to apply a value to a Config.
type key struct {
	secret bool
	set    func(c *Config, v any) error
}

// ignoredKeys are written by the original hub and installer and have no
// meaning here; they are accepted so old files keep working.
var ignoredKeys = map[string]bool{"command_execution": true, "command_execution_enabled": true, "core_services": true}

var keys = map[string]key{
	"hub_url":   {set: func(c *Config, v any) error { return setString(&c.HubURL, v) }},
	"server_id": {set: func(c *Config, v any) error { return setString(&c.ServerID, v) }},
	"api_key":   {secret: true, set: func(c *Config, v any) error { return setString(&c.APIKey, v) }},
	"api_token": {secret: true, set: func(c *Config, v any) error { return setString(&c.AgentToken, v) }},
	"agent_token": {secret: true, set: func(c *Config, v any) error {
		return setString(&c.AgentToken, v)
	}},
	"server_guid": {set: func(c *Config, v any) error {
		err := setString(&c.ServerGUID, v)
		c.ServerGUID = strings.ToLower(c.ServerGUID)
		return err
	}},
	"hostname":           {set: func(c *Config, v any) error { return setString(&c.Hostname, v) }},
	"heartbeat_interval": {set: func(c *Config, v any) error { return setDuration(&c.HeartbeatInterval, v, time.Second) }},
	"monitored_services": {set: func(c *Config, v any) error { return setList(&c.MonitoredServices, v) }},
	"restart_allowlist":  {set: func(c *Config, v any) error { return setList(&c.RestartAllowlist, v) }},
	"mode": {set: func(c *Config, v any) error {
		err := setString(&c.Mode, v)
		c.Mode = strings.ToLower(c.Mode)
		return err
	}},
	"outbox_dir":               {set: func(c *Config, v any) error { return setString(&c.OutboxDir, v) }},
	"outbox_max_bytes":         {set: func(c *Config, v any) error { return setSize(&c.OutboxMaxBytes, v) }},
	"outbox_max_age":           {set: func(c *Config, v any) error { return setDuration(&c.OutboxMaxAge, v, time.Second) }},
	"tls_ca_file":              {set: func(c *Config, v any) error { return setString(&c.TLSCAFile, v) }},
	"tls_insecure_skip_verify": {set: func(c *Config, v any) error { return setBool(&c.TLSInsecureSkipVerify, v) }},
	"systemd_bus_address":      {set: func(c *Config, v any) error { return setString(&c.SystemdBusAddress, v) }},
	"log_level":                {set: func(c *Config, v any) error { return setString(&c.LogLevel, v) }},
}

// Keys lists the configuration keys, sorted.
func Keys() []string {
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ParseConfig reads YAML bytes (may be empty) over the defaults, then applies
// HOMELAB_CMD_AGENT_* variables from environ (and *_FILE for secrets), then
// validates. Every problem is reported, each naming its source and key.
// With forDryRun, the hub URL and credentials may be missing.
func ParseConfig(data []byte, environ []string, forDryRun bool) (*Config, error) {
	c := Defaults()
	var errs []error
	if len(strings.TrimSpace(string(data))) > 0 {
		var raw map[string]any
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("config file: not a YAML mapping: %v", err)
		}
		names := make([]string, 0, len(raw))
		for k := range raw {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if ignoredKeys[k] {
				continue
			}
			opt, ok := keys[k]
			if !ok {
				errs = append(errs, fmt.Errorf("config file: %s: unknown key (known: %s)", k, strings.Join(Keys(), ", ")))
				continue
			}
			if raw[k] == nil {
				continue
			}
			if err := opt.set(c, raw[k]); err != nil {
				errs = append(errs, fmt.Errorf("config file: %s: %v", k, err))
			}
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, k := range Keys() {
		name := EnvPrefix + strings.ToUpper(k)
		if v, ok := env[name]; ok {
			if err := keys[k].set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s: %v", name, err))
			}
		}
		if path, ok := env[name+"_FILE"]; ok && keys[k].secret {
			b, err := os.ReadFile(path)
			if err == nil {
				err = keys[k].set(c, strings.TrimSpace(string(b)))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("environment %s_FILE: %v", name, err))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.Validate(forDryRun); err != nil {
		return nil, err
	}
	return c, nil
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
	if c.Mode != "readonly" && c.Mode != "readwrite" {
		bad("mode", "%q is not readonly or readwrite", c.Mode)
	}
	if c.OutboxDir == "" {
		bad("outbox_dir", "required")
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

func setString(dst *string, v any) error {
	switch v := v.(type) {
	case string:
		*dst = strings.TrimSpace(v)
	case int, float64, bool:
		*dst = fmt.Sprint(v)
	default:
		return fmt.Errorf("must be a single value, not a %s", kind(v))
	}
	return nil
}

// setDuration accepts a number of units (heartbeat_interval: 60 means 60 s,
// as in the original) or a Go duration with an optional "d" for days.
func setDuration(dst *time.Duration, v any, unit time.Duration) error {
	switch v := v.(type) {
	case int:
		*dst = time.Duration(v) * unit
	case float64:
		*dst = time.Duration(v * float64(unit))
	case string:
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			*dst = time.Duration(n * float64(unit))
			return nil
		}
		if d, ok := strings.CutSuffix(s, "d"); ok {
			n, err := strconv.ParseFloat(d, 64)
			if err != nil {
				return fmt.Errorf("%q is not a duration (e.g. 60, 90s, 12h, 7d)", v)
			}
			*dst = time.Duration(n * float64(24*time.Hour))
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 60, 90s, 12h, 7d)", v)
		}
		*dst = d
	default:
		return fmt.Errorf("must be a number of seconds or a duration, not a %s", kind(v))
	}
	return nil
}

// setSize accepts bytes or a number with KB, MB or GB (powers of 1024).
func setSize(dst *int64, v any) error {
	switch v := v.(type) {
	case int:
		*dst = int64(v)
		return nil
	case string:
		s := strings.ToUpper(strings.TrimSpace(v))
		mult := int64(1)
		for _, u := range []struct {
			suf string
			m   int64
		}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
			if n, ok := strings.CutSuffix(s, u.suf); ok {
				s, mult = strings.TrimSpace(n), u.m
				break
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a size (e.g. 67108864, 64MB, 1GB)", v)
		}
		*dst = n * mult
		return nil
	}
	return fmt.Errorf("must be a size, not a %s", kind(v))
}

func setBool(dst *bool, v any) error {
	switch v := v.(type) {
	case bool:
		*dst = v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*dst = b
	default:
		return fmt.Errorf("must be true or false, not a %s", kind(v))
	}
	return nil
}

// setList accepts a YAML list or a comma-separated string (environment).
func setList(dst *[]string, v any) error {
	var out []string
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("item %d must be a unit name, not a %s", i, kind(e))
			}
			out = append(out, strings.TrimSpace(s))
		}
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	default:
		return fmt.Errorf("must be a list of unit names, not a %s", kind(v))
	}
	*dst = out
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
