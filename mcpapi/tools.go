package mcpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/homelabcmd/homelabcmd"
)

// fleetURI is the resource with the fleet overview.
const fleetURI = "homelabcmd://fleet"

// newServer builds the MCP server: the read tools and the fleet resource,
// and with operate the acknowledge and restart tools.
func newServer(r Reader, o Operator, operate bool) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "homelabcmd", Version: homelabcmd.Version}, &mcp.ServerOptions{
		Instructions: "homelabcmd monitors a homelab's servers and the systemd services they must run. " +
			"Read the fleet with list_servers and get_server; restarts go through the hub's action queue " +
			"(approval while a server is in maintenance, crash-loop guard, audit trail).",
	})
	t := tools{r: r, o: o}
	ro := &mcp.ToolAnnotations{ReadOnlyHint: true}
	mcp.AddTool(s, &mcp.Tool{Name: "list_servers", Annotations: ro,
		Description: "List every server with its status (online/offline), latest CPU, memory and disk use, expected services running/total and open alert count; problems first."}, t.listServers)
	mcp.AddTool(s, &mcp.Tool{Name: "get_server", Annotations: ro,
		Description: "One server: its facts, its expected services with their current state, and its open alerts."}, t.getServer)
	mcp.AddTool(s, &mcp.Tool{Name: "list_alerts", Annotations: ro,
		Description: "List alerts, newest first; by default the unresolved ones (open and acknowledged)."}, t.listAlerts)
	mcp.AddTool(s, &mcp.Tool{Name: "get_service_history", Annotations: ro,
		Description: "A service's recorded states on a server, newest first."}, t.serviceHistory)
	s.AddResource(&mcp.Resource{URI: fleetURI, Name: "fleet", MIMEType: "application/json",
		Description: "The fleet overview: every server with its status, usage, services and open alerts (as list_servers)."}, t.fleet)
	if operate {
		mcp.AddTool(s, &mcp.Tool{Name: "acknowledge_alert", Annotations: &mcp.ToolAnnotations{IdempotentHint: true, DestructiveHint: new(bool)},
			Description: "Acknowledge an open alert: it stops its reminders; it still resolves by itself when the condition clears."}, t.acknowledge)
		mcp.AddTool(s, &mcp.Tool{Name: "restart_service", Annotations: &mcp.ToolAnnotations{},
			Description: "Queue a restart of a systemd service on a server, as the dashboard's Restart button does. It runs at once, " +
				"or waits for approval while the server is in maintenance; a second restart of the same service while one is active, " +
				"or a fourth within 15 minutes (crash loop), is refused. The result shows the action's id and status."}, t.restart)
	}
	return s
}

type tools struct {
	r Reader
	o Operator
}

type serverSummary struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Status         string     `json:"status"`
	MachineType    string     `json:"machine_type"`
	InMaintenance  bool       `json:"in_maintenance"`
	LastSeen       *time.Time `json:"last_seen"`
	CPUPercent     *float64   `json:"cpu_percent"`
	MemoryPercent  *float64   `json:"memory_percent"`
	DiskPercent    *float64   `json:"disk_percent"`
	ServicesTotal  int        `json:"services_total"`
	ServicesUp     int        `json:"services_running"`
	ServicesDown   int        `json:"services_down"`
	OpenAlerts     int        `json:"open_alerts"`
	AlertSummaries []string   `json:"open_alert_titles"`
}

type fleet struct {
	Servers []serverSummary `json:"servers"`
}

func (t tools) fleetSummary(ctx context.Context) (fleet, error) {
	list, err := t.r.ServerOverviews(ctx)
	if err != nil {
		return fleet{}, err
	}
	out := fleet{Servers: []serverSummary{}}
	for _, o := range list {
		s := serverSummary{ID: o.ID, Name: o.Name(), Status: o.Status, MachineType: o.MachineType, InMaintenance: o.IsPaused,
			LastSeen: o.LastSeen, ServicesTotal: o.ServiceSummary.Total, ServicesUp: o.ServiceSummary.Running,
			ServicesDown: o.ServiceSummary.Down, OpenAlerts: o.ActiveAlertCount, AlertSummaries: o.ActiveAlertSummaries}
		if m := o.LatestMetrics; m != nil {
			s.CPUPercent, s.MemoryPercent, s.DiskPercent = m.CPUPercent, m.MemoryPercent, m.DiskPercent
		}
		if s.AlertSummaries == nil {
			s.AlertSummaries = []string{}
		}
		out.Servers = append(out.Servers, s)
	}
	return out, nil
}

func (t tools) listServers(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, fleet, error) {
	f, err := t.fleetSummary(ctx)
	return nil, f, toolError(err)
}

func (t tools) fleet(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	f, err := t.fleetSummary(ctx)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: fleetURI, MIMEType: "application/json", Text: string(b)}}}, nil
}

type serverIn struct {
	ServerID string `json:"server_id" jsonschema:"the server's id, as list_servers shows it"`
}

type serviceOut struct {
	Name         string     `json:"name"`
	Critical     bool       `json:"critical"`
	Enabled      bool       `json:"enabled"`
	Status       string     `json:"status"`
	StatusReason *string    `json:"status_reason,omitempty"`
	ReportedAt   *time.Time `json:"reported_at,omitempty"`
}

type serverOut struct {
	Server     *homelabcmd.Server  `json:"server"`
	Services   []serviceOut        `json:"services"`
	OpenAlerts []*homelabcmd.Alert `json:"open_alerts"`
}

func (t tools) getServer(ctx context.Context, _ *mcp.CallToolRequest, in serverIn) (*mcp.CallToolResult, serverOut, error) {
	srv, err := t.r.FindServer(ctx, in.ServerID)
	if err != nil {
		return nil, serverOut{}, toolError(err)
	}
	svcs, err := t.r.ListExpectedServices(ctx, in.ServerID)
	if err != nil {
		return nil, serverOut{}, toolError(err)
	}
	out := serverOut{Server: srv, Services: []serviceOut{}}
	for _, s := range svcs {
		so := serviceOut{Name: s.ServiceName, Critical: s.IsCritical, Enabled: s.Enabled, Status: "not reported yet"}
		if c := s.CurrentStatus; c != nil {
			so.Status, so.StatusReason, so.ReportedAt = string(c.Status), c.StatusReason, &c.LastSeen
		}
		out.Services = append(out.Services, so)
	}
	out.OpenAlerts, _, err = t.alerts(ctx, homelabcmd.AlertFilter{ServerID: in.ServerID, Status: unresolved, Limit: 100})
	return nil, out, toolError(err)
}

// unresolved is the status filter for open and acknowledged alerts.
const unresolved = "active"

// alerts lists alerts like the store, also for the status "active".
func (t tools) alerts(ctx context.Context, f homelabcmd.AlertFilter) ([]*homelabcmd.Alert, int, error) {
	if f.Status != unresolved {
		return t.r.ListAlerts(ctx, f)
	}
	var all []*homelabcmd.Alert
	total := 0
	for _, st := range []string{homelabcmd.AlertOpen, homelabcmd.AlertAcknowledged} {
		f.Status = st
		list, n, err := t.r.ListAlerts(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		all, total = append(all, list...), total+n
	}
	slices.SortFunc(all, func(a, b *homelabcmd.Alert) int { return cmp.Compare(b.ID, a.ID) }) // newest first
	if len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, total, nil
}

type alertsIn struct {
	Status   string `json:"status,omitempty" jsonschema:"open, acknowledged, resolved, or active (open and acknowledged; the default)"`
	ServerID string `json:"server_id,omitempty" jsonschema:"only this server's alerts"`
	Severity string `json:"severity,omitempty" jsonschema:"only this severity: critical, high, medium or low"`
	Limit    int    `json:"limit,omitempty" jsonschema:"at most this many (default 50, at most 200)"`
}

type alertsOut struct {
	Alerts []*homelabcmd.Alert `json:"alerts"`
	Total  int                 `json:"total"`
}

func (t tools) listAlerts(ctx context.Context, _ *mcp.CallToolRequest, in alertsIn) (*mcp.CallToolResult, alertsOut, error) {
	f := homelabcmd.AlertFilter{Status: in.Status, ServerID: in.ServerID, Severity: in.Severity, Limit: in.Limit}
	if f.Status == "" {
		f.Status = unresolved
	}
	switch f.Status {
	case unresolved, homelabcmd.AlertOpen, homelabcmd.AlertAcknowledged, homelabcmd.AlertResolved:
	default:
		return nil, alertsOut{}, fmt.Errorf("status must be open, acknowledged, resolved or active, not %q", f.Status)
	}
	if f.Severity != "" {
		if err := homelabcmd.ValidateSeverity("severity", f.Severity); err != nil {
			return nil, alertsOut{}, toolError(err)
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = min(max(f.Limit, 50), 200)
	}
	list, total, err := t.alerts(ctx, f)
	return nil, alertsOut{Alerts: list, Total: total}, toolError(err)
}

type historyIn struct {
	ServerID    string `json:"server_id"`
	ServiceName string `json:"service_name" jsonschema:"the unit name, e.g. plex or plex.service"`
	Limit       int    `json:"limit,omitempty" jsonschema:"at most this many samples (default 50, at most 500)"`
}

type historyOut struct {
	Samples []homelabcmd.ServiceStatus `json:"samples"`
	Total   int64                      `json:"total"`
}

func (t tools) serviceHistory(ctx context.Context, _ *mcp.CallToolRequest, in historyIn) (*mcp.CallToolResult, historyOut, error) {
	if _, err := t.r.FindServer(ctx, in.ServerID); err != nil {
		return nil, historyOut{}, toolError(err)
	}
	limit := in.Limit
	if limit <= 0 || limit > 500 {
		limit = min(max(limit, 50), 500)
	}
	list, total, err := t.r.ServiceHistory(ctx, in.ServerID, in.ServiceName, homelabcmd.HistoryFilter{Limit: limit})
	if list == nil {
		list = []homelabcmd.ServiceStatus{}
	}
	return nil, historyOut{Samples: list, Total: total}, toolError(err)
}

type ackIn struct {
	AlertID int64 `json:"alert_id"`
}

type ackOut struct {
	ID             int64      `json:"id"`
	Status         string     `json:"status"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
}

func (t tools) acknowledge(ctx context.Context, req *mcp.CallToolRequest, in ackIn) (*mcp.CallToolResult, ackOut, error) {
	if err := mayOperate(req); err != nil {
		return nil, ackOut{}, err
	}
	a, err := t.o.AcknowledgeAlert(ctx, in.AlertID, actorOf(req))
	if err != nil {
		return nil, ackOut{}, toolError(err)
	}
	return nil, ackOut{ID: a.ID, Status: a.Status, AcknowledgedAt: a.AcknowledgedAt}, nil
}

type restartIn struct {
	ServerID    string `json:"server_id"`
	ServiceName string `json:"service_name" jsonschema:"the systemd unit to restart, e.g. plex"`
}

type restartOut struct {
	ActionID    int64   `json:"action_id"`
	Status      string  `json:"status" jsonschema:"approved (the agent carries it out now) or pending (waiting for approval: the server is in maintenance)"`
	ApprovedBy  *string `json:"approved_by"`
	RequestedBy string  `json:"requested_by"`
}

func (t tools) restart(ctx context.Context, req *mcp.CallToolRequest, in restartIn) (*mcp.CallToolResult, restartOut, error) {
	if err := mayOperate(req); err != nil {
		return nil, restartOut{}, err
	}
	actor := actorOf(req)
	a, err := t.o.CreateRestart(ctx, in.ServerID, in.ServiceName, actor)
	if err != nil {
		return nil, restartOut{}, toolError(err)
	}
	return nil, restartOut{ActionID: a.ID, Status: a.Status, ApprovedBy: a.ApprovedBy, RequestedBy: actor}, nil
}

// mayOperate checks the call's own credential: a session is bound to the
// user that opened it, but the check stays next to the write.
func mayOperate(req *mcp.CallToolRequest) error {
	var info *auth.TokenInfo
	if req.Extra != nil {
		info = req.Extra.TokenInfo
	}
	if !canOperate(info) {
		return fmt.Errorf("this credential may only read")
	}
	return nil
}

// actorOf names who asked, for the audit trail: "mcp:<client> (<credential>)".
func actorOf(req *mcp.CallToolRequest) string {
	client := "client"
	if ci := req.ClientInfo(); ci != nil && ci.Name != "" {
		client = ci.Name
	}
	actor := "mcp:" + client
	if req.Extra != nil && req.Extra.TokenInfo != nil && req.Extra.TokenInfo.UserID != "" {
		actor += " (" + req.Extra.TokenInfo.UserID + ")"
	}
	if len(actor) > 100 {
		actor = actor[:100]
	}
	return actor
}

// toolError turns the domain's errors into the message the assistant
// reads; an internal error says only that, the detail stays in the log.
func toolError(err error) error {
	if err == nil {
		return nil
	}
	switch homelabcmd.ErrorCode(err) {
	case homelabcmd.EINTERNAL, "":
		return fmt.Errorf("internal error")
	}
	if e, ok := err.(*homelabcmd.Error); ok && e.Data != nil {
		b, _ := json.Marshal(e.Data)
		return fmt.Errorf("%s (%s)", homelabcmd.ErrorMessage(err), b)
	}
	return fmt.Errorf("%s", homelabcmd.ErrorMessage(err))
}
