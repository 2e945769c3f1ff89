package homelabcmd

import (
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"time"
)

// Credential types of machines without an agent (the original's names).
const (
	CredSSHPrivateKey = "ssh_private_key"
	CredSSHPassword   = "ssh_password"
	CredSudoPassword  = "sudo_password"
)

// CredentialTypes lists the valid credential types.
var CredentialTypes = []string{CredSSHPrivateKey, CredSSHPassword, CredSudoPassword}

// SSHCredential describes a stored credential; the secret itself is sealed
// in the store and never leaves the hub.
type SSHCredential struct {
	ServerID       *string   `json:"server_id"` // nil: the default for every host
	CredentialType string    `json:"credential_type"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// HostKey is an SSH host key pinned on first use.
type HostKey struct {
	Addr        string    `json:"address"` // host:port
	KeyType     string    `json:"key_type"`
	Fingerprint string    `json:"fingerprint"`
	Key         []byte    `json:"-"` // wire format
	FirstSeen   time.Time `json:"first_seen"`
}

// SSHTarget is how the hub reaches a server over SSH.
type SSHTarget struct {
	ServerID string `json:"server_id"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	// JumpServerID names the server to connect through (ProxyJump, one
	// hop): Host is then an address as that server sees it.
	JumpServerID *string `json:"jump_server_id"`
}

// Scan statuses.
const (
	ScanRunning   = "running"
	ScanCompleted = "completed"
	ScanFailed    = "failed"
)

// Scan is one ad-hoc scan of a host over SSH, kept as history.
type Scan struct {
	ID          int64           `json:"scan_id"`
	Hostname    string          `json:"hostname"`
	Port        int             `json:"port"`
	Username    string          `json:"username"`
	ScanType    string          `json:"scan_type"` // quick | full
	Status      string          `json:"status"`
	Error       *string         `json:"error"`
	Results     json.RawMessage `json:"results"`
	HostKey     *string         `json:"host_key_fingerprint"`
	RequestedBy string          `json:"requested_by"`
	StartedAt   time.Time       `json:"started_at"`
	CompletedAt *time.Time      `json:"completed_at"`
}

// Discovery is one subnet sweep.
type Discovery struct {
	ID      int64              `json:"discovery_id"`
	Subnet  string             `json:"subnet"`
	Status  string             `json:"status"` // running | completed | failed
	Devices []DiscoveredDevice `json:"devices"`
	Error   *string            `json:"error"`
	// Method is how hosts were probed: "tcp", or "tcp+icmp" when the hub
	// could send ICMP echo requests ("" while running).
	Method      string     `json:"method"`
	RequestedBy string     `json:"requested_by"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

// DiscoveredDevice is a machine a sweep or the tailnet found.
type DiscoveredDevice struct {
	IP           string `json:"ip"`
	Hostname     string `json:"hostname,omitempty"`
	Source       string `json:"source"` // network | tailscale
	OpenPorts    []int  `json:"open_ports"`
	SSHAvailable bool   `json:"ssh_available"`
	// ICMPReply: the host answered an ICMP echo request (sweeps only).
	ICMPReply bool     `json:"icmp_reply,omitempty"`
	OS        string   `json:"os,omitempty"`
	Online    *bool    `json:"online,omitempty"`
	DeviceID  string   `json:"device_id,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	ServerID  *string  `json:"server_id"` // the server already at that address, if any
}

// RemoteAudit is one audit entry of the agentless features: every use of a
// credential, every scan, command, pin and credential change.
type RemoteAudit struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"` // test_ssh, scan, command, credential_set, ...
	Target     string    `json:"target"` // host:port or server id
	ServerID   *string   `json:"server_id"`
	Credential string    `json:"credential"` // which credential was used ("server web1 ssh_private_key")
	Outcome    string    `json:"outcome"`    // ok | error | refused
	Detail     string    `json:"detail"`
}

var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
var sshUserPattern = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)

// ValidateSSHHost checks a host name or IP address to connect to.
func ValidateSSHHost(field, h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	if !hostnamePattern.MatchString(h) || strings.Contains(h, "..") {
		return FieldError(field, "%s must be a host name or an IP address", field)
	}
	return nil
}

// ValidateSSHUser checks a remote user name (POSIX portable names).
func ValidateSSHUser(field, u string) error {
	if !sshUserPattern.MatchString(u) {
		return FieldError(field, "%s must be a user name (a-z, 0-9, _ . -, at most 32 characters)", field)
	}
	return nil
}

// ValidatePort checks a TCP port.
func ValidatePort(field string, p int) error {
	if p < 1 || p > 65535 {
		return FieldError(field, "%s must be 1 to 65535", field)
	}
	return nil
}

// ValidateCredentialType checks a credential type.
func ValidateCredentialType(t string) error {
	for _, c := range CredentialTypes {
		if t == c {
			return nil
		}
	}
	return &Error{Code: EBADREQUEST, Field: "credential_type", Message: "credential_type must be one of " + strings.Join(CredentialTypes, ", "),
		Data: map[string]any{"code": "INVALID_CREDENTIAL_TYPE"}}
}

// ConfigCheckRecord is a stored configuration-pack check; Items is the
// JSON list of checked items (agentless.PackItem).
type ConfigCheckRecord struct {
	ID         int64
	ServerID   string
	Packs      []string
	Compliant  bool
	Mismatches int
	Items      json.RawMessage
	CheckedAt  time.Time
}
