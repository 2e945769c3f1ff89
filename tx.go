package homelabcmd

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// TxStore opens write transactions for the hub engine (package hub). The
// store (package sqlstore) knows SQL and nothing else: which alert opens,
// who gets notified and how an action moves are the engine's decisions.
type TxStore interface {
	// InTx runs fn in a write transaction and commits when fn returns
	// nil; the events fn announced are delivered after the commit.
	InTx(ctx context.Context, fn func(Tx) error) error
	// InBatchTx is InTx for heartbeats: concurrent calls share one
	// group-committed transaction. When one of a batch fails the batch is
	// rolled back and each fn runs again alone, so fn must derive its
	// results from tx on every run.
	InBatchTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is one write transaction. Its time is fixed at its start; the
// methods return ENOTFOUND, ECONFLICT or EINVALID as their docs say.
type Tx interface {
	// Now is the transaction's time (UTC, microseconds).
	Now() time.Time
	// Announce queues an event to publish when the transaction commits
	// (on PostgreSQL with pg_notify inside it, for the other hubs).
	Announce(e Event)

	HeartbeatTx
	AlertTx
	NotificationTx
	ActionTx
	CheckTx

	// Setting returns a stored setting (JSON text) and whether it exists.
	Setting(ctx context.Context, key string) (string, bool, error)
	// PutSetting stores a setting, replacing any previous value.
	PutSetting(ctx context.Context, key, value string) error
	// FindServer returns a server. ENOTFOUND.
	FindServer(ctx context.Context, id string) (*Server, error)
	// MaintenanceWindows returns every maintenance window.
	MaintenanceWindows(ctx context.Context) ([]MaintenanceWindow, error)
	// CreateMaintenanceWindow validates and stores a window. EINVALID,
	// and ENOTFOUND for an unknown server.
	CreateMaintenanceWindow(ctx context.Context, w *MaintenanceWindow) error
	// DeleteMaintenanceWindow removes a window. ENOTFOUND.
	DeleteMaintenanceWindow(ctx context.Context, id int64) error
	// SetServerPaused turns maintenance mode on or off. ENOTFOUND.
	SetServerPaused(ctx context.Context, id string, paused bool) (*Server, error)
	// UpdateExpectedService changes the fields given. ENOTFOUND, EINVALID.
	UpdateExpectedService(ctx context.Context, serverID, name string, upd ExpectedServiceUpdate) (*ExpectedService, error)
	// DeleteExpectedService stops expecting a service. ENOTFOUND.
	DeleteExpectedService(ctx context.Context, serverID, name string) error
	// UpdateExpectedUnit is UpdateExpectedService for a unit of any kind.
	UpdateExpectedUnit(ctx context.Context, serverID string, kind UnitKind, name string, upd ExpectedServiceUpdate) (*ExpectedService, error)
	// DeleteExpectedUnit is DeleteExpectedService for a unit of any kind.
	DeleteExpectedUnit(ctx context.Context, serverID string, kind UnitKind, name string) error
}

// HeartbeatTx stores what a heartbeat reports.
type HeartbeatTx interface {
	// UnitNames returns the names in the server's latest unit inventory
	// (what its agent can see); none before the agent sent one.
	UnitNames(ctx context.Context, serverID string) ([]string, error)
	// SaveHeartbeat finds (or registers) the reporting server, updates it,
	// stores the metrics sample and the service reports (current status
	// moves forward only; history keeps late reports). EFORBIDDEN for a
	// token used for another server or an inactive server; ECONFLICT for a
	// GUID mismatch.
	SaveHeartbeat(ctx context.Context, hb *Heartbeat, meta IngestMeta) (*SavedHeartbeat, error)
	// ExpectedServices returns the server's expected services (name,
	// critical, enabled) by name.
	ExpectedServices(ctx context.Context, serverID string) ([]ExpectedService, error)
	// SaveServerClock stores what the hub knows of the agent's clock.
	SaveServerClock(ctx context.Context, serverID string, c ServerClock) error
	// TouchAgentToken records that the agent credential of guid was used.
	TouchAgentToken(ctx context.Context, guid string) error
	// VerifyRestarts marks completed restarts of the running services
	// verified when they finished within grace before ts.
	VerifyRestarts(ctx context.Context, serverID string, ts time.Time, running []string, grace time.Duration) error
	// VerifyContainerActions marks completed container restarts and starts
	// of the running containers, and stops of the stopped ones, verified
	// when they finished within grace before ts.
	VerifyContainerActions(ctx context.Context, serverID string, ts time.Time, running, stopped []string, grace time.Duration) error
	// VerifyUpgrades settles the server's agent upgrades completed since
	// then by the version its agent reports: verified when it is the
	// target (as reported, ReportedVersion), unverified when it is another
	// (the agent rolled back, or this is the old agent's last report).
	VerifyUpgrades(ctx context.Context, serverID, version string, since time.Time) error
}

// SavedHeartbeat is what storing a heartbeat found and changed.
type SavedHeartbeat struct {
	Server     ServerRef
	Registered bool
	// ReportedAt is the report's timestamp as stored (one from too far
	// in the future is taken as the transaction's time).
	ReportedAt time.Time
	Changes    []ServiceChange
	// Clock is what the hub knew of the agent's clock before this report.
	Clock ServerClock
}

// ServerClock is what the hub remembers of an agent's clock, from the last
// heartbeat it took as live (not a replay). The hub's own time decides every
// rule; the offset only tells a replayed heartbeat from a skewed clock.
type ServerClock struct {
	// OffsetMS is the agent's clock minus the hub's, in milliseconds; nil
	// before the first heartbeat.
	OffsetMS *int64
	// ReportAt is that heartbeat's own timestamp (the agent's clock).
	ReportAt *time.Time
	// Skewed is true while the offset is beyond the hub's bound.
	Skewed bool
}

// ServerRef is what alert rules and notifications need of a server.
type ServerRef struct {
	ID          string
	Name        string // display name, else hostname
	MachineType string
	Paused      bool
}

// AlertTx keeps alerts and the rules' memory.
type AlertTx interface {
	RuleStates(ctx context.Context, serverID string) (map[string]RuleState, error)
	SaveRuleState(ctx context.Context, serverID string, st RuleState) error
	// MarkNotified records that the alert under key was notified now.
	MarkNotified(ctx context.Context, serverID, key string) error
	// UnresolvedAlerts returns the server's open or acknowledged alerts by
	// dedup key.
	UnresolvedAlerts(ctx context.Context, serverID string) (map[string]*Alert, error)
	// HubRestartsSince returns, by service, when the hub last handed a
	// restart to the agent after since.
	HubRestartsSince(ctx context.Context, serverID string, since time.Time) (map[string]time.Time, error)
	// InsertAlert stores a new open alert and sets its ID; false when an
	// unresolved alert with its dedup key exists (another hub won).
	InsertAlert(ctx context.Context, a *Alert) (bool, error)
	// EscalateAlert stores a's severity, values, title and message; false when
	// it is resolved meanwhile.
	EscalateAlert(ctx context.Context, a *Alert) (bool, error)
	// AutoResolveAlert resolves a (auto_resolved, with its resolution
	// reason); false when already resolved.
	AutoResolveAlert(ctx context.Context, a *Alert) (bool, error)
	// MarkAlertNotified records when an alert's "opened" goes out.
	MarkAlertNotified(ctx context.Context, id int64, at time.Time) error
	// AcknowledgeAlert acknowledges an open alert and returns it as stored
	// (unchanged when not open). ENOTFOUND.
	AcknowledgeAlert(ctx context.Context, id int64, by string) (*Alert, error)
	// ResolveAlert resolves an unresolved alert by hand and returns it as
	// stored. ENOTFOUND.
	ResolveAlert(ctx context.Context, id int64, by string) (*Alert, error)
	// RecoveriesDue returns the unresolved alerts whose rule state records
	// a recovery (RecoveredAt) at or before cut, with their servers.
	RecoveriesDue(ctx context.Context, cut time.Time) ([]RecoveryDue, error)
	// ClearRecovery forgets the recovery recorded at at under key; false
	// when the state changed meanwhile (a report came in).
	ClearRecovery(ctx context.Context, serverID, key string, at time.Time) (bool, error)
	// StaleServers returns the online, active servers last seen before cut.
	StaleServers(ctx context.Context, cut time.Time) ([]ServerSeen, error)
	// MarkOffline marks a server offline if it is still online and last
	// seen before cut; false when a heartbeat came meanwhile.
	MarkOffline(ctx context.Context, id string, cut time.Time) (bool, error)
	// OpenAlertsToRemind returns every open (not acknowledged) alert with
	// when it was last notified and its server.
	OpenAlertsToRemind(ctx context.Context) ([]AlertToRemind, error)
}

// RuleState is what the alert rules remember per (server, key) between
// reports; the key is an alert dedup key ("cpu", "offline", "service:nginx").
type RuleState struct {
	Key string
	// FirstBreachAt starts a metric's sustain window.
	FirstBreachAt *time.Time
	// MissingCount counts heartbeats in a row that left a service out.
	MissingCount int
	// GraceUntil ends a restart grace period; it stays set after it ends
	// until the service runs, so a later alert can say the restart failed.
	GraceUntil *time.Time
	// Restarts is the unit's last reported restart count.
	Restarts *int
	// LastNotifiedAt is when the open alert was last notified.
	LastNotifiedAt *time.Time
	// UnknownCount counts heartbeats in a row that reported the unit
	// unknown for the same cause (not found; systemd not reachable).
	UnknownCount int
	// BootedAt is when the host booted, by its reported uptime in the hub's
	// time (key "boot").
	BootedAt *time.Time
	// ReplayDownSince is when a replayed heartbeat first showed the service
	// down (hub time) while no alert was open; nil otherwise.
	ReplayDownSince *time.Time
	// Events are recent state changes (key "service:…") or restart-count
	// rises (key "crashloop:…"), oldest first, within the rule's window.
	Events []time.Time
	// LastStatus is the service's last reported state ("up", "down").
	LastStatus string
	// FlappingSince is when the service began flapping; nil when not.
	FlappingSince *time.Time
	// RecoveredAt is when a short outage's service was first seen running
	// again; its alert resolves once that holds.
	RecoveredAt *time.Time
}

// Equal reports whether two states hold the same values.
func (s RuleState) Equal(o RuleState) bool {
	return s.Key == o.Key && eqTime(s.FirstBreachAt, o.FirstBreachAt) && s.MissingCount == o.MissingCount &&
		eqTime(s.GraceUntil, o.GraceUntil) && eqInt(s.Restarts, o.Restarts) && eqTime(s.LastNotifiedAt, o.LastNotifiedAt) &&
		s.UnknownCount == o.UnknownCount && eqTime(s.BootedAt, o.BootedAt) && eqTime(s.ReplayDownSince, o.ReplayDownSince) &&
		slices.EqualFunc(s.Events, o.Events, time.Time.Equal) && s.LastStatus == o.LastStatus &&
		eqTime(s.FlappingSince, o.FlappingSince) && eqTime(s.RecoveredAt, o.RecoveredAt)
}

func eqTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

func eqInt(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// ServerSeen is a server as the offline check sees it.
type ServerSeen struct {
	ServerRef
	Status   string
	LastSeen *time.Time
}

// RecoveryDue is an alert whose service recovered from a short outage at
// RecoveredAt and has not been resolved yet (the recovery hold).
type RecoveryDue struct {
	Alert       Alert
	RecoveredAt time.Time
	Server      ServerRef
}

// AlertToRemind is an open alert with what the reminder rule needs.
type AlertToRemind struct {
	Alert        Alert
	LastNotified *time.Time
	Server       ServerRef
}

// NotificationTx keeps notification channels and the outbox.
type NotificationTx interface {
	// Channels returns the channels, only the enabled ones if enabledOnly.
	Channels(ctx context.Context, enabledOnly bool) ([]Channel, error)
	FindChannel(ctx context.Context, id int64) (*Channel, error)
	// InsertChannel stores a new channel and sets its ID. ECONFLICT (name).
	InsertChannel(ctx context.Context, c *Channel) error
	// UpdateChannel stores c's fields. ECONFLICT (name).
	UpdateChannel(ctx context.Context, c *Channel) error
	// Enqueue writes one outbox row, due now or at n.Due.
	Enqueue(ctx context.Context, n OutboxMessage) error
	// HeldOpenings returns the server's "opened" notifications queued for
	// later and not tried yet (held for grouping).
	HeldOpenings(ctx context.Context, serverID string) ([]HeldNotification, error)
	// UpdateHeldPayload replaces a held notification's payload; false when
	// it is no longer held (claimed meanwhile).
	UpdateHeldPayload(ctx context.Context, id int64, payload json.RawMessage) (bool, error)
	// LastOpeningNotified returns when an alert of the server last had its
	// opening notified after since and before now, if any.
	LastOpeningNotified(ctx context.Context, serverID string, since time.Time) (*time.Time, error)
}

// Channel is a configured notification destination. Config is the
// provider's JSON config (see notify/registry); it holds secrets and is
// shown redacted.
type Channel struct {
	ID     int64           `json:"id"`
	Name   string          `json:"name"`
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config"`
	// MinSeverity is the least severe alert the channel hears about.
	MinSeverity string `json:"min_severity"`
	// SendResolved sends resolutions too.
	SendResolved bool `json:"send_resolved"`
	// ServerIDs and AlertTypes limit the channel to those servers and
	// alert kinds; empty means all.
	ServerIDs  []string `json:"server_ids"`
	AlertTypes []string `json:"alert_types"`
	// Severities limits the channel to these severities (on top of
	// MinSeverity); empty means all. The original's per-severity toggles
	// (notify_on_critical, notify_on_high) need it.
	Severities []string  `json:"severities"`
	Enabled    bool      `json:"enabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ChannelUpdate is a partial update: nil fields are left unchanged.
type ChannelUpdate struct {
	Name         *string         `json:"name"`
	Config       json.RawMessage `json:"config"`
	MinSeverity  *string         `json:"min_severity"`
	SendResolved *bool           `json:"send_resolved"`
	Enabled      *bool           `json:"enabled"`
	ServerIDs    *[]string       `json:"server_ids"`
	AlertTypes   *[]string       `json:"alert_types"`
	Severities   *[]string       `json:"severities"`
}

// OutboxMessage is a rendered notification for one channel. AlertID is 0
// for a message about no alert (a test).
type OutboxMessage struct {
	ChannelID int64
	AlertID   int64
	Event     string
	Payload   json.RawMessage
	// Due is when to send it; nil is now.
	Due *time.Time
}

// HeldNotification is a queued "opened" notification held back to group
// the alerts opening on one server within a short window.
type HeldNotification struct {
	ID        int64
	ChannelID int64
	Due       time.Time
	Payload   json.RawMessage
}

// ClaimedNotification is an outbox row a dispatcher claimed for delivery.
type ClaimedNotification struct {
	ID       int64
	Channel  Channel
	Payload  json.RawMessage
	Attempts int
}

// ActionTx keeps remediation actions and their audit trail.
type ActionTx interface {
	// FindAction returns an action with its audit trail. ENOTFOUND.
	FindAction(ctx context.Context, id int64) (*Action, error)
	// ActiveRestart returns the pending, approved or executing restart of
	// a service, if any.
	ActiveRestart(ctx context.Context, serverID, service string) (int64, bool, error)
	// ActiveUnitAction returns the pending, approved or executing action
	// on a unit of kind, if any.
	ActiveUnitAction(ctx context.Context, serverID string, kind UnitKind, name string) (int64, bool, error)
	// UnitRestartsSince counts the restarts and starts of a unit of kind
	// executed since then.
	UnitRestartsSince(ctx context.Context, serverID string, kind UnitKind, name string, since time.Time) (int, error)
	// ActiveUpgrade returns the pending, approved or executing agent
	// upgrade of a server, if any.
	ActiveUpgrade(ctx context.Context, serverID string) (int64, bool, error)
	// RestartsSince counts the restarts of a service executed since then.
	RestartsSince(ctx context.Context, serverID, service string, since time.Time) (int, error)
	// InsertAction stores a new action and sets its ID. ECONFLICT when an
	// active restart of the service exists (the unique index).
	InsertAction(ctx context.Context, a *Action) error
	// MoveAction applies u to the action if it is still in status from;
	// false when it moved meanwhile.
	MoveAction(ctx context.Context, id int64, from string, u ActionUpdate) (bool, error)
	// AddActionEvent appends to the action's audit trail.
	AddActionEvent(ctx context.Context, id int64, e ActionEvent) error
	// ClaimCommands marks the server's approved actions executing and
	// returns them.
	ClaimCommands(ctx context.Context, serverID string, types []string) ([]PendingCommand, error)
	// TimeOutActions fails approved actions approved before cut and
	// executing ones handed out before cut; it returns their ids.
	TimeOutActions(ctx context.Context, cut time.Time) ([]int64, error)
	// SettleRestarts marks completed restarts unverified that finished
	// before cut without being verified.
	SettleRestarts(ctx context.Context, cut time.Time) error
	// SettleUpgrades marks completed agent upgrades unverified that
	// finished before cut without the agent reporting the new version.
	SettleUpgrades(ctx context.Context, cut time.Time) error
}

// ActionUpdate is a move of an action: its new status and the fields that
// go with it; nil fields are left unchanged.
type ActionUpdate struct {
	Status                            string
	ApprovedAt, RejectedAt            *time.Time
	ApprovedBy, RejectedBy, Rejection *string
	CompletedAt                       *time.Time
	ExitCode                          *int
	Stdout, Stderr, FailureReason     *string
	DurationMS                        *int64
	RebootRequired                    *bool
}
