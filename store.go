package homelabcmd

import (
	"context"
	"time"
)

// ServerStore keeps servers. Methods return ENOTFOUND, ECONFLICT or EINVALID
// as documented on the sqlstore implementation.
type ServerStore interface {
	CreateServer(ctx context.Context, s *Server) error
	FindServer(ctx context.Context, id string) (*Server, error)
	ListServers(ctx context.Context) ([]*Server, error)
	UpdateServer(ctx context.Context, id string, upd ServerUpdate) (*Server, error)
	SetServerPaused(ctx context.Context, id string, paused bool) (*Server, error)
	DeleteServer(ctx context.Context, id string) error
}

// ServiceStore keeps expected services and their status history.
type ServiceStore interface {
	CreateExpectedService(ctx context.Context, s *ExpectedService) error
	ListExpectedServices(ctx context.Context, serverID string) ([]*ExpectedService, error)
	FindExpectedService(ctx context.Context, serverID, name string) (*ExpectedService, error)
	UpdateExpectedService(ctx context.Context, serverID, name string, upd ExpectedServiceUpdate) (*ExpectedService, error)
	DeleteExpectedService(ctx context.Context, serverID, name string) error
	ServiceHistory(ctx context.Context, serverID, name string, f HistoryFilter) ([]ServiceStatus, int64, error)
}

// HistoryFilter selects status history samples, newest first. Before is a
// cursor: the id of the last sample of the previous page.
type HistoryFilter struct {
	From, To *time.Time
	Limit    int
	Before   int64
}

// AlertFilter selects alerts; empty fields match everything.
type AlertFilter struct {
	Status, Severity, ServerID, AlertType string
	Limit, Offset                         int
}

// IngestMeta is what the HTTP layer knows about a heartbeat besides its body.
type IngestMeta struct {
	// BoundServerID is the server an agent token belongs to; "" when the
	// request used the operator API key. A token may report only for it.
	BoundServerID string
	// PeerIP is the TCP peer address.
	PeerIP string
	// TokenGUID is the server GUID of the agent token the request used
	// ("" for the operator key); its last use is recorded with the heartbeat.
	TokenGUID string
}

// ServiceChange is a service whose current state moved with this heartbeat.
type ServiceChange struct {
	ServiceName string
	Kind        UnitKind
	From, To    ServiceStatusValue // From is "" for a first report
	Restarts    *int
}

// IngestResult is what storing a heartbeat produced.
type IngestResult struct {
	ServerID         string
	ServerRegistered bool
	ExpectedServices []string
	// ExpectedContainers are the enabled expected containers.
	ExpectedContainers []string
	// Checks are the enabled checks the agent runs.
	Checks  []CheckSpec
	Changes []ServiceChange
	// PendingCommands are approved actions, now marked executing.
	PendingCommands []PendingCommand
	// ResultsAcknowledged are the action ids of the command results the
	// hub took (finished, or already finished or unknown: not to resend).
	ResultsAcknowledged []int64
	// AlertTransitions counts alerts opened, escalated or resolved (and so
	// notifications queued) by this heartbeat.
	AlertTransitions int
}

// AgentCredential is a per-agent token bound to one server.
type AgentCredential struct {
	ID         int64      `json:"-"`
	ServerID   string     `json:"server_id"`
	ServerGUID string     `json:"server_guid"`
	Prefix     string     `json:"api_token_prefix"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
}

// ServerOverview is a server with what the fleet view shows beside it.
type ServerOverview struct {
	*Server
	LatestMetrics        *MetricsSample `json:"latest_metrics"`
	ActiveAlertCount     int            `json:"active_alert_count"`
	ActiveAlertSummaries []string       `json:"active_alert_summaries"`
	// ServiceSummary counts enabled expected services by current state.
	ServiceSummary ServiceSummary `json:"service_summary"`
	// ContainerSummary counts enabled expected containers by current
	// state; absent when the server expects none.
	ContainerSummary *ServiceSummary `json:"container_summary,omitempty"`
}

// ServiceSummary counts a server's enabled expected services.
type ServiceSummary struct {
	Total   int `json:"total"`
	Running int `json:"running"`
	Down    int `json:"down"`
	Unknown int `json:"unknown"`
}

// RegistrationToken is a one-time token an operator hands to a new agent.
// Token is the secret, known only when the token is created.
type RegistrationToken struct {
	ID                int64    `json:"id"`
	Token             string   `json:"-"`
	Prefix            string   `json:"token_prefix"`
	Mode              string   `json:"mode"`
	DisplayName       *string  `json:"display_name"`
	MonitoredServices []string `json:"monitored_services"`
	// AllowExisting lets the token adopt a server that already exists (and
	// has no active agent); without it a claim for an existing id is refused,
	// so a leaked token cannot take over a server.
	AllowExisting bool       `json:"allow_existing"`
	ExpiresAt     time.Time  `json:"expires_at"`
	ClaimedAt     *time.Time `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Validate checks the mode, display name and service names.
func (t *RegistrationToken) Validate() error {
	if t.Mode == "" {
		t.Mode = "readonly"
	}
	if t.Mode != "readonly" && t.Mode != "readwrite" {
		return FieldError("mode", "mode must be \"readonly\" or \"readwrite\"")
	}
	if err := checkOptText("display_name", t.DisplayName, 255); err != nil {
		return err
	}
	if len(t.MonitoredServices) > MaxServicesPerHeartbeat {
		return FieldError("monitored_services", "at most %d services", MaxServicesPerHeartbeat)
	}
	if t.MonitoredServices == nil {
		t.MonitoredServices = []string{}
	}
	for _, s := range t.MonitoredServices {
		if err := ValidateUnitName(s); err != nil {
			return FieldError("monitored_services", "%s", ErrorMessage(err))
		}
	}
	return nil
}

// Claim is what an agent receives for a registration token.
type Claim struct {
	ServerID   string
	GUID       string
	AgentToken string
	Token      *RegistrationToken
}

// FleetServiceState is one enabled expected service and its current state.
type FleetServiceState struct {
	ServerID    string
	Kind        UnitKind
	ServiceName string
	IsCritical  bool
	Status      ServiceStatusValue
	Restarts    *int
}

// PendingBreach is a metric over its high threshold whose sustain window has
// not run out yet, so no alert is open for it yet.
type PendingBreach struct {
	ServerID      string
	ServerName    string
	Metric        string
	FirstBreachAt time.Time
}
