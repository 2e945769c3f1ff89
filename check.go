package homelabcmd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Check types: what an agent probes.
const (
	CheckHTTP = "http"
	CheckTCP  = "tcp"
	CheckDNS  = "dns"
	CheckPing = "ping"
	CheckTLS  = "tls"
)

// Per-agent check statuses. "warn" is a certificate within its warning
// days; "down" a failed probe (or a certificate within its critical days).
const (
	CheckUp   = "up"
	CheckWarn = "warn"
	CheckDown = "down"
)

// Limits on checks.
const (
	MaxCheckResultsPerHeartbeat = 200
	// MaxChecksPerAgent bounds the checks one agent is handed.
	MaxChecksPerAgent = 200
)

// Check is a probe defined on the hub and run by agents from inside the
// LAN: an HTTP request, a TCP connect, a DNS lookup, a ping or a TLS
// certificate's expiry. It runs on the servers in ServerIDs and those with
// one of its Tags, or on every agent when AllAgents is set. Its alert (kind "check") opens when Quorum
// of the agents that report it see it failing after Retries more failures
// in a row (Quorum 0: all of them).
type Check struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Target          string `json:"target"`
	IntervalSeconds int    `json:"interval_seconds"`
	TimeoutSeconds  int    `json:"timeout_seconds"`
	Retries         int    `json:"retries"`
	// Critical makes its alert critical (else high).
	Critical bool `json:"critical"`
	// Quorum is how many reporting agents must see it fail; 0 is all.
	Quorum    int      `json:"quorum"`
	Enabled   bool     `json:"enabled"`
	AllAgents bool     `json:"all_agents"`
	ServerIDs []string `json:"server_ids"`
	// Tags assign it to every server with one of them (servers' tags).
	Tags []string `json:"tags"`
	CheckOptions
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CheckOptions are the type-specific settings of a check.
type CheckOptions struct {
	// HTTP: Method (GET, HEAD, POST), the status codes that count as up
	// (empty: 200-399), a keyword the body must contain, or a JSON path
	// (dot separated, "a.b.0.c") whose value must equal JSONValue.
	Method          string            `json:"method,omitempty"`
	ExpectedStatus  []int             `json:"expected_status,omitempty"`
	Keyword         string            `json:"keyword,omitempty"`
	JSONPath        string            `json:"json_path,omitempty"`
	JSONValue       string            `json:"json_value,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
	FollowRedirects bool              `json:"follow_redirects,omitempty"`
	// SkipTLSVerify turns certificate verification off (http, tls); it is
	// on by default.
	SkipTLSVerify bool `json:"skip_tls_verify,omitempty"`
	// DNS: the record type (A, AAAA, CNAME, MX, TXT, NS), an answer that
	// must be among the answers ("" any), and the resolver (host:port, ""
	// the system's).
	RecordType string `json:"record_type,omitempty"`
	Expected   string `json:"expected,omitempty"`
	Resolver   string `json:"resolver,omitempty"`
	// TLS: days before expiry that warn and that fail (defaults 14 and 7).
	WarnDays     int `json:"warn_days,omitempty"`
	CriticalDays int `json:"critical_days,omitempty"`
}

var (
	checkNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._:@()/-]{0,99}$`)
	headerName       = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
	recordTypes      = map[string]bool{"A": true, "AAAA": true, "CNAME": true, "MX": true, "TXT": true, "NS": true}
)

// Normalize fills defaults: interval 60 s, timeout 10 s (never above the
// interval), GET and TLS thresholds 14/7 days.
func (c *Check) Normalize() {
	c.Name, c.Target = strings.TrimSpace(c.Name), strings.TrimSpace(c.Target)
	if c.IntervalSeconds == 0 {
		c.IntervalSeconds = 60
	}
	if c.TimeoutSeconds == 0 {
		c.TimeoutSeconds = min(10, c.IntervalSeconds)
	}
	if c.ServerIDs == nil {
		c.ServerIDs = []string{}
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	switch c.Type {
	case CheckHTTP:
		c.Method = strings.ToUpper(c.Method)
		if c.Method == "" {
			c.Method = "GET"
		}
	case CheckDNS:
		c.RecordType = strings.ToUpper(c.RecordType)
		if c.RecordType == "" {
			c.RecordType = "A"
		}
	case CheckTLS:
		if c.WarnDays == 0 {
			c.WarnDays = 14
		}
		if c.CriticalDays == 0 {
			c.CriticalDays = 7
		}
	}
}

// Validate checks a normalized check and returns the first problem as an
// EINVALID error naming the field.
func (c *Check) Validate() error {
	if !checkNamePattern.MatchString(c.Name) {
		return FieldError("name", "name must be 1-100 letters, digits, spaces or ._:@()/- and start with a letter or digit")
	}
	if c.IntervalSeconds < 5 || c.IntervalSeconds > 86400 {
		return FieldError("interval_seconds", "interval_seconds must be between 5 and 86400")
	}
	if c.TimeoutSeconds < 1 || c.TimeoutSeconds > 60 || c.TimeoutSeconds > c.IntervalSeconds {
		return FieldError("timeout_seconds", "timeout_seconds must be between 1 and 60 and not above the interval")
	}
	if c.Retries < 0 || c.Retries > 10 {
		return FieldError("retries", "retries must be between 0 and 10")
	}
	if c.Quorum < 0 || c.Quorum > 1000 {
		return FieldError("quorum", "quorum must be between 0 (all agents) and 1000")
	}
	if !c.AllAgents && len(c.ServerIDs) == 0 && len(c.Tags) == 0 {
		return FieldError("server_ids", "a check runs on at least one server, the servers with one of its tags, or every agent (all_agents)")
	}
	if err := ValidateTags(c.Tags); err != nil {
		return err
	}
	if len(c.ServerIDs) > 1000 {
		return FieldError("server_ids", "at most 1000 servers")
	}
	for i, id := range c.ServerIDs {
		if err := ValidateServerID(id); err != nil {
			return FieldError(fmt.Sprintf("server_ids.%d", i), "%s", ErrorMessage(err))
		}
	}
	if len(c.Target) == 0 || len(c.Target) > 2048 {
		return FieldError("target", "target must be 1-2048 characters")
	}
	if err := CheckText("target", c.Target, 2048); err != nil {
		return err
	}
	if err := c.validateType(); err != nil {
		return err
	}
	return c.validateOptions()
}

func (c *Check) validateType() error {
	switch c.Type {
	case CheckHTTP:
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return FieldError("target", "an http check's target is an http:// or https:// URL")
		}
		switch c.Method {
		case "GET", "HEAD", "POST":
		default:
			return FieldError("method", "method must be GET, HEAD or POST")
		}
	case CheckTCP, CheckTLS:
		host, port, err := net.SplitHostPort(c.Target)
		if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			return FieldError("target", "a %s check's target is host:port", c.Type)
		}
	case CheckDNS, CheckPing:
		if strings.ContainsAny(c.Target, " /:") && net.ParseIP(c.Target) == nil {
			return FieldError("target", "a %s check's target is a host name or an IP address", c.Type)
		}
	default:
		return FieldError("type", "type must be http, tcp, dns, ping or tls")
	}
	return nil
}

func (c *Check) validateOptions() error {
	o := &c.CheckOptions
	if len(o.ExpectedStatus) > 20 {
		return FieldError("expected_status", "at most 20 status codes")
	}
	for i, s := range o.ExpectedStatus {
		if s < 100 || s > 599 {
			return FieldError(fmt.Sprintf("expected_status.%d", i), "a status code is between 100 and 599")
		}
	}
	for f, v := range map[string]string{"keyword": o.Keyword, "json_path": o.JSONPath, "json_value": o.JSONValue, "expected": o.Expected} {
		if err := CheckText(f, v, 255); err != nil {
			return err
		}
	}
	if o.Keyword != "" && o.JSONPath != "" {
		return FieldError("keyword", "give a keyword or a json_path, not both")
	}
	if len(o.Headers) > 20 {
		return FieldError("headers", "at most 20 headers")
	}
	for k, v := range o.Headers {
		if !headerName.MatchString(k) || strings.ContainsAny(v, "\r\n\x00") || len(v) > 1024 {
			return FieldError("headers", "header %q: a token name and a value of at most 1024 characters without line breaks", k)
		}
	}
	if c.Type == CheckDNS && !recordTypes[o.RecordType] {
		return FieldError("record_type", "record_type must be A, AAAA, CNAME, MX, TXT or NS")
	}
	if o.Resolver != "" {
		if _, port, err := net.SplitHostPort(o.Resolver); err != nil || port == "" {
			return FieldError("resolver", "resolver is host:port")
		}
	}
	if c.Type == CheckTLS && (o.WarnDays < 0 || o.CriticalDays < 0 || o.WarnDays > 3650 || o.CriticalDays > o.WarnDays) {
		return FieldError("warn_days", "warn_days and critical_days are 0-3650 days, critical_days not above warn_days")
	}
	return nil
}

// CheckSpec is a check as an agent receives it in the heartbeat answer.
type CheckSpec struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Target          string `json:"target"`
	IntervalSeconds int    `json:"interval_seconds"`
	TimeoutSeconds  int    `json:"timeout_seconds"`
	// Retries tells the agent how many failures in a row the hub waits
	// for: it sends each of them at once, not with the next heartbeat.
	Retries int `json:"retries"`
	CheckOptions
}

// Spec is what an agent needs of c.
func (c *Check) Spec() CheckSpec {
	return CheckSpec{ID: c.ID, Name: c.Name, Type: c.Type, Target: c.Target, IntervalSeconds: c.IntervalSeconds,
		TimeoutSeconds: c.TimeoutSeconds, Retries: c.Retries, CheckOptions: c.CheckOptions}
}

// CheckResult is one probe's outcome, reported in a heartbeat
// (check_results). Method says how a ping was made ("icmp", "tcp").
type CheckResult struct {
	CheckID    int64    `json:"check_id"`
	Status     string   `json:"status"`
	LatencyMS  *float64 `json:"latency_ms,omitempty"`
	StatusCode *int     `json:"status_code,omitempty"`
	Error      *string  `json:"error,omitempty"`
	// CertExpiresAt is the leaf certificate's expiry (tls, https).
	CertExpiresAt *time.Time `json:"cert_expires_at,omitempty"`
	Method        *string    `json:"method,omitempty"`
	CheckedAt     time.Time  `json:"checked_at"`
}

// validate checks one reported result; texts are sanitized and clipped.
func (r *CheckResult) validate(path string) error {
	if r.CheckID <= 0 {
		return FieldError(path+".check_id", "check_id must be positive")
	}
	switch r.Status {
	case CheckUp, CheckWarn, CheckDown:
	default:
		return FieldError(path+".status", "status must be up, warn or down")
	}
	if err := nonNegative(path+".latency_ms", r.LatencyMS); err != nil {
		return err
	}
	if r.StatusCode != nil && (*r.StatusCode < 0 || *r.StatusCode > 999) {
		return FieldError(path+".status_code", "status_code must be between 0 and 999")
	}
	if r.Error != nil {
		e := SanitizeText(*r.Error)
		if len(e) > 500 {
			e = e[:500]
		}
		r.Error = &e
	}
	if err := maxLen(path+".method", r.Method, 10); err != nil {
		return err
	}
	if r.CheckedAt.IsZero() {
		return FieldError(path+".checked_at", "checked_at is required")
	}
	return nil
}

// CheckAgentStatus is one agent's current view of a check.
type CheckAgentStatus struct {
	CheckID    int64  `json:"check_id"`
	ServerID   string `json:"server_id"`
	ServerName string `json:"server_name"`
	Status     string `json:"status"`
	// Failures counts failed probes in a row; the agent counts as failing
	// once it exceeds the check's retries.
	Failures      int        `json:"failures"`
	LatencyMS     *float64   `json:"latency_ms"`
	StatusCode    *int       `json:"status_code"`
	Error         *string    `json:"error"`
	CertExpiresAt *time.Time `json:"cert_expires_at"`
	Method        *string    `json:"method"`
	CheckedAt     time.Time  `json:"checked_at"`
	ChangedAt     time.Time  `json:"changed_at"`
}

// CheckOverview is a check with its state across agents, for the API.
type CheckOverview struct {
	Check
	// State is the check's state across agents: up, warn, down, or
	// pending before any agent reported it.
	State  string             `json:"state"`
	Agents []CheckAgentStatus `json:"agents"`
	// UptimePercent is the share of up results over the last 24 h.
	UptimePercent *float64 `json:"uptime_percent"`
}

// CheckHistoryPoint is one stored result.
type CheckHistoryPoint struct {
	ServerID  string    `json:"server_id"`
	Status    string    `json:"status"`
	LatencyMS *float64  `json:"latency_ms"`
	Error     *string   `json:"error"`
	CheckedAt time.Time `json:"checked_at"`
}

// CheckTx is what the engine does with checks inside a transaction.
type CheckTx interface {
	// ChecksForServer returns the enabled checks the server runs.
	ChecksForServer(ctx context.Context, serverID string) ([]Check, error)
	// SaveCheckResults stores reported results of checks the server runs
	// (others are ignored) and returns the checks whose per-agent status
	// or failure count changed, and those with an unresolved alert that got
	// a result, each with every agent's status after it.
	SaveCheckResults(ctx context.Context, serverID string, results []CheckResult) ([]CheckState, error)
	// CheckRuleState locks the check's row and returns its rule state.
	CheckRuleState(ctx context.Context, checkID int64) (RuleState, error)
	// SaveCheckRuleState stores it.
	SaveCheckRuleState(ctx context.Context, checkID int64, st RuleState) error
	// UnresolvedCheckAlert returns the check's open or acknowledged alert,
	// on whichever server it was filed; nil when none.
	UnresolvedCheckAlert(ctx context.Context, name string) (*Alert, error)
	// FindCheck returns a check. ENOTFOUND.
	FindCheck(ctx context.Context, id int64) (*Check, error)
	// InsertCheck stores a new check and sets its ID. ECONFLICT (name),
	// ENOTFOUND (server).
	InsertCheck(ctx context.Context, c *Check) error
	// UpdateCheck stores c. ECONFLICT, ENOTFOUND.
	UpdateCheck(ctx context.Context, c *Check) error
	// DeleteCheck removes a check. ENOTFOUND.
	DeleteCheck(ctx context.Context, id int64) error
}

// CheckState is a check with every reporting agent's current status.
type CheckState struct {
	Check  Check
	Agents []CheckAgentStatus
}

// RunsOn reports whether the check runs on a server with the given id and
// tags.
func (c *Check) RunsOn(serverID string, tags []string) bool {
	if c.AllAgents || slices.Contains(c.ServerIDs, serverID) {
		return true
	}
	for _, t := range c.Tags {
		if slices.Contains(tags, t) {
			return true
		}
	}
	return false
}
