package homelabcmd

// Event types: what changed, for dashboards (server-sent events), agents
// waiting for commands and the notification dispatcher. A writer announces
// its events in the transaction that made the change (Tx.Announce); they
// reach subscribers, on this hub and on every hub sharing the database, only
// when that transaction commits.
const (
	EventServerUpdated  = "server.updated"  // a heartbeat changed a server, its metrics or services
	EventServiceChanged = "service.changed" // a service's current status changed state
	EventAlertChanged   = "alert.changed"   // an alert opened, escalated, acknowledged or resolved
	EventActionChanged  = "action.changed"  // a remediation action was queued or moved state
	EventCheckChanged   = "check.changed"   // a check was defined, changed or deleted, or an agent's view of it changed
	// EventNotificationQueued wakes the notification dispatchers: outbox
	// rows were committed. Internal: dashboards do not receive it.
	EventNotificationQueued = "notification.queued"
	// EventMaintenanceChanged tells the engines (on every hub) that a
	// maintenance window was created or deleted, so they drop the windows
	// they keep in memory. Internal.
	EventMaintenanceChanged = "maintenance.changed"
)

// Event is one change; Data is event-specific and JSON-encodable.
type Event struct {
	Type     string `json:"type"`
	ServerID string `json:"server_id,omitempty"`
	Data     any    `json:"data,omitempty"`
}

// Internal reports whether e is for the hub's own workers only.
func (e Event) Internal() bool {
	return e.Type == EventNotificationQueued || e.Type == EventMaintenanceChanged
}
