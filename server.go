package homelabcmd

import (
	"regexp"
	"time"
)

// Server status values. A server is "unknown" until its first heartbeat.
const (
	ServerOnline  = "online"
	ServerOffline = "offline"
	ServerUnknown = "unknown"
)

// Machine types. Workstations go offline without an alert.
const (
	MachineServer      = "server"
	MachineWorkstation = "workstation"
)

var serverIDPattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// Server is one monitored machine. Its ID is a slug chosen by the operator or
// the agent; GUID is the agent's stable identity when it has registered.
type Server struct {
	ID             string     `json:"id"`
	GUID           *string    `json:"guid"`
	Hostname       string     `json:"hostname"`
	DisplayName    *string    `json:"display_name"`
	IPAddress      *string    `json:"ip_address"`
	Status         string     `json:"status"`
	MachineType    string     `json:"machine_type"`
	IsPaused       bool       `json:"is_paused"`
	PausedAt       *time.Time `json:"paused_at"`
	IsInactive     bool       `json:"is_inactive"`
	InactiveSince  *time.Time `json:"inactive_since"`
	LastSeen       *time.Time `json:"last_seen"`
	OSDistribution *string    `json:"os_distribution"`
	OSVersion      *string    `json:"os_version"`
	KernelVersion  *string    `json:"kernel_version"`
	Architecture   *string    `json:"architecture"`
	CPUModel       *string    `json:"cpu_model"`
	CPUCores       *int       `json:"cpu_cores"`
	AgentVersion   *string    `json:"agent_version"`
	// AgentOutdated says the agent reported a version other than the
	// hub's (computed when read; see AgentOutdated).
	AgentOutdated   bool    `json:"agent_outdated"`
	AgentMode       *string `json:"agent_mode"`
	UpdatesAvail    *int    `json:"updates_available"`
	SecurityUpdates *int    `json:"security_updates"`
	TDPWatts        *int    `json:"tdp_watts"`
	// MachineCategory is the power category (PowerProfiles), inferred from
	// the CPU by heartbeats (source "auto") unless the operator set it
	// ("user"); IdleWatts is the idle draw (nil: the category's default).
	MachineCategory       *string `json:"machine_category"`
	MachineCategorySource *string `json:"machine_category_source"`
	IdleWatts             *int    `json:"idle_watts"`
	// Capabilities are what the agent declared on its last heartbeat (see
	// EffectiveCapabilities); nil before its first one.
	Capabilities []string `json:"capabilities"`
	// ClockOffsetSeconds is the agent's clock minus the hub's, measured on
	// its last live heartbeat (nil before one); ClockSkewed says it is
	// beyond the hub's bound. Alerts use the hub's time either way.
	ClockOffsetSeconds *float64 `json:"clock_offset_seconds"`
	ClockSkewed        bool     `json:"clock_skewed"`
	// Filesystems and NetworkInterfaces are the latest heartbeat's snapshot.
	Filesystems       []Filesystem       `json:"filesystems"`
	NetworkInterfaces []NetworkInterface `json:"network_interfaces"`
	// Tags are the operator's labels (lowercase words), for filtering.
	Tags      []string  `json:"tags"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Name is what the operator sees: the display name, else the hostname.
func (s *Server) Name() string {
	if s.DisplayName != nil && *s.DisplayName != "" {
		return *s.DisplayName
	}
	return s.Hostname
}

// Validate checks the fields an operator or agent may set.
func (s *Server) Validate() error {
	if err := ValidateServerID(s.ID); err != nil {
		return err
	}
	if s.Hostname == "" || len(s.Hostname) > 255 {
		return FieldError("hostname", "hostname must be 1-255 characters")
	}
	if s.MachineType == "" {
		s.MachineType = MachineServer
	}
	if err := ValidateMachineType(s.MachineType); err != nil {
		return err
	}
	if s.DisplayName != nil && len(*s.DisplayName) > 255 {
		return FieldError("display_name", "display_name must be at most 255 characters")
	}
	if s.IPAddress != nil && len(*s.IPAddress) > 45 {
		return FieldError("ip_address", "ip_address must be at most 45 characters")
	}
	if err := CheckText("hostname", s.Hostname, 0); err != nil {
		return err
	}
	if err := checkOptText("display_name", s.DisplayName, 0); err != nil {
		return err
	}
	if err := checkOptText("ip_address", s.IPAddress, 0); err != nil {
		return err
	}
	if s.TDPWatts != nil && (*s.TDPWatts < 0 || *s.TDPWatts > 10000) {
		return FieldError("tdp_watts", "tdp_watts must be between 0 and 10000")
	}
	return nil
}

// ValidateServerID checks a server id: 1-100 characters of [a-z0-9-].
func ValidateServerID(id string) error {
	if len(id) == 0 || len(id) > 100 {
		return FieldError("server_id", "server id must be 1-100 characters")
	}
	if !serverIDPattern.MatchString(id) {
		return FieldError("server_id", "server id %q must match ^[a-z0-9-]+$ (lowercase letters, digits and dashes)", id)
	}
	return nil
}

// ValidateMachineType accepts "server" and "workstation".
func ValidateMachineType(t string) error {
	if t != MachineServer && t != MachineWorkstation {
		return FieldError("machine_type", "machine_type must be \"server\" or \"workstation\"")
	}
	return nil
}

// ServerUpdate is a partial update: nil fields are left unchanged.
type ServerUpdate struct {
	Hostname    *string `json:"hostname"`
	DisplayName *string `json:"display_name"`
	IPAddress   *string `json:"ip_address"`
	TDPWatts    *int    `json:"tdp_watts"`
	MachineType *string `json:"machine_type"`
	// MachineCategory set by the operator makes the source "user" (unless
	// machine_category_source says otherwise); "" clears both, so
	// heartbeats infer it again.
	MachineCategory       *string `json:"machine_category"`
	MachineCategorySource *string `json:"machine_category_source"`
	IdleWatts             *int    `json:"idle_watts"`
	// Tags replace the server's tags (ValidateTags).
	Tags *[]string `json:"tags"`
}

// Validate checks the fields present in the update.
func (u *ServerUpdate) Validate() error {
	if u.Hostname != nil && (*u.Hostname == "" || len(*u.Hostname) > 255) {
		return FieldError("hostname", "hostname must be 1-255 characters")
	}
	if u.DisplayName != nil && len(*u.DisplayName) > 255 {
		return FieldError("display_name", "display_name must be at most 255 characters")
	}
	if u.IPAddress != nil && len(*u.IPAddress) > 45 {
		return FieldError("ip_address", "ip_address must be at most 45 characters")
	}
	if u.TDPWatts != nil && (*u.TDPWatts < 0 || *u.TDPWatts > 10000) {
		return FieldError("tdp_watts", "tdp_watts must be between 0 and 10000")
	}
	if u.IdleWatts != nil && (*u.IdleWatts < 0 || *u.IdleWatts > 10000) {
		return FieldError("idle_watts", "idle_watts must be between 0 and 10000")
	}
	if u.MachineCategory != nil {
		if err := ValidateMachineCategory(*u.MachineCategory); err != nil {
			return err
		}
	}
	if v := u.MachineCategorySource; v != nil && *v != "" && *v != CategorySourceAuto && *v != CategorySourceUser {
		return FieldError("machine_category_source", "machine_category_source must be \"auto\" or \"user\"")
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"hostname", u.Hostname}, {"display_name", u.DisplayName}, {"ip_address", u.IPAddress}} {
		if err := checkOptText(f.name, f.v, 0); err != nil {
			return err
		}
	}
	if u.Tags != nil {
		if err := ValidateTags(*u.Tags); err != nil {
			return err
		}
	}
	if u.MachineType != nil {
		return ValidateMachineType(*u.MachineType)
	}
	return nil
}

var tagPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// ValidateTags accepts at most 20 distinct tags of 1-32 lowercase letters,
// digits, '.', '_' and '-'. EINVALID naming "tags".
func ValidateTags(tags []string) error {
	if len(tags) > 20 {
		return FieldError("tags", "at most 20 tags")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if !tagPattern.MatchString(t) {
			return FieldError("tags", "tag %q must be 1-32 lowercase letters, digits, '.', '_' or '-'", t)
		}
		if seen[t] {
			return FieldError("tags", "tag %q is given twice", t)
		}
		seen[t] = true
	}
	return nil
}
