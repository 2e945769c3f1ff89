package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearer adds a credential to every request of an MCP client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// mcpSession connects the SDK's own client to the hub's /mcp with token.
func mcpSession(t *testing.T, hubURL, token string) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-assistant", Version: "1.0"}, nil)
	tr := &mcp.StreamableClientTransport{Endpoint: hubURL + "/mcp", MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer{token, http.DefaultTransport}}}
	s, err := client.Connect(ctx, tr, nil)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// call calls a tool and decodes its structured result into out; it returns
// the tool error text, if the tool failed.
func call(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any, out any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if res.IsError {
		var texts []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				texts = append(texts, tc.Text)
			}
		}
		return strings.Join(texts, " ")
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v (%s)", tool, err, b)
		}
	}
	return ""
}

// An assistant asks the real hub about the fleet over MCP and queues a
// guarded restart, which lands in the action queue's audit trail.
func TestMCP(t *testing.T) {
	h := StartHub(t, t.TempDir(), alertHubEnv(""))
	setupAlertHub(t, h.URL, "http://127.0.0.1:1", 2)
	beat(t, h.URL, 2, time.Now(), 1) // svc1 stopped: an alert opens

	if _, err := mcpSession(t, h.URL, "not-the-key-0123456789"); err == nil {
		t.Fatal("a wrong key opened an MCP session")
	}
	s, err := mcpSession(t, h.URL, testAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tools, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	want := []string{"acknowledge_alert", "get_server", "get_service_history", "list_alerts", "list_servers", "restart_service"}
	if !slices.Equal(names, want) {
		t.Fatalf("tools = %v, want %v", names, want)
	}

	var fleet struct {
		Servers []struct {
			ID           string `json:"id"`
			Status       string `json:"status"`
			ServicesDown int    `json:"services_down"`
			OpenAlerts   int    `json:"open_alerts"`
		} `json:"servers"`
	}
	if e := call(t, s, "list_servers", nil, &fleet); e != "" || len(fleet.Servers) != 1 || fleet.Servers[0].ID != "nas" ||
		fleet.Servers[0].ServicesDown != 1 || fleet.Servers[0].OpenAlerts != 1 {
		t.Fatalf("list_servers: %q %+v", e, fleet)
	}
	var srv struct {
		Services []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"services"`
		OpenAlerts []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"open_alerts"`
	}
	if e := call(t, s, "get_server", map[string]any{"server_id": "nas"}, &srv); e != "" || len(srv.Services) != 2 || len(srv.OpenAlerts) != 1 {
		t.Fatalf("get_server: %q %+v", e, srv)
	}
	if e := call(t, s, "get_server", map[string]any{"server_id": "nope"}, nil); !strings.Contains(e, "not found") {
		t.Fatalf("get_server of a missing server: %q", e)
	}
	var alerts struct {
		Alerts []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"alerts"`
		Total int `json:"total"`
	}
	if e := call(t, s, "list_alerts", nil, &alerts); e != "" || alerts.Total != 1 || alerts.Alerts[0].ID != srv.OpenAlerts[0].ID {
		t.Fatalf("list_alerts: %q %+v", e, alerts)
	}
	var hist struct {
		Samples []struct {
			Status string `json:"status"`
		} `json:"samples"`
	}
	if e := call(t, s, "get_service_history", map[string]any{"server_id": "nas", "service_name": "svc1"}, &hist); e != "" ||
		len(hist.Samples) != 1 || hist.Samples[0].Status != "stopped" {
		t.Fatalf("get_service_history: %q %+v", e, hist)
	}
	var ack struct {
		Status string `json:"status"`
	}
	if e := call(t, s, "acknowledge_alert", map[string]any{"alert_id": alerts.Alerts[0].ID}, &ack); e != "" || ack.Status != "acknowledged" {
		t.Fatalf("acknowledge_alert: %q %+v", e, ack)
	}

	var restart struct {
		ActionID    int64  `json:"action_id"`
		Status      string `json:"status"`
		RequestedBy string `json:"requested_by"`
	}
	if e := call(t, s, "restart_service", map[string]any{"server_id": "nas", "service_name": "svc1"}, &restart); e != "" ||
		restart.Status != "approved" || restart.RequestedBy != "mcp:e2e-assistant (api-key)" {
		t.Fatalf("restart_service: %q %+v", e, restart)
	}
	// The guard rails are the dashboard's: a second restart while one is active is refused.
	if e := call(t, s, "restart_service", map[string]any{"server_id": "nas", "service_name": "svc1"}, nil); !strings.Contains(e, "already queued") ||
		!strings.Contains(e, fmt.Sprint(restart.ActionID)) {
		t.Fatalf("second restart: %q", e)
	}
	var action struct {
		CreatedBy string `json:"created_by"`
		Events    []struct {
			Actor string `json:"actor"`
		} `json:"events"`
	}
	api(t, "GET", fmt.Sprintf("%s/api/v1/actions/%d", h.URL, restart.ActionID), "", &action)
	if action.CreatedBy != "mcp:e2e-assistant (api-key)" || len(action.Events) == 0 || action.Events[0].Actor != action.CreatedBy {
		t.Fatalf("audit trail of the MCP restart: %+v", action)
	}

	res, err := s.ReadResource(ctx, &mcp.ReadResourceParams{URI: "homelabcmd://fleet"})
	if err != nil || len(res.Contents) != 1 || !strings.Contains(res.Contents[0].Text, `"id":"nas"`) {
		t.Fatalf("fleet resource: %+v, %v", res, err)
	}
}

// A read-only (viewer) token reads the fleet over MCP but gets no write
// tools, and a call to one queues nothing; an operator token may restart.
func TestMCPScopedTokens(t *testing.T) {
	h := StartHub(t, t.TempDir(), alertHubEnv(""))
	setupAlertHub(t, h.URL, "http://127.0.0.1:1", 1)
	token := func(name, role string) string {
		t.Helper()
		var out struct {
			Secret string `json:"secret"`
		}
		if code := api(t, "POST", h.URL+"/api/v1/tokens", fmt.Sprintf(`{"name":%q,"role":%q}`, name, role), &out); code != 201 || out.Secret == "" {
			t.Fatalf("create %s token: %d", role, code)
		}
		return out.Secret
	}
	viewer, err := mcpSession(t, h.URL, token("assistant-ro", "viewer"))
	if err != nil {
		t.Fatal(err)
	}
	tools, err := viewer.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools.Tools {
		if tl.Name == "restart_service" || tl.Name == "acknowledge_alert" {
			t.Fatalf("a viewer token sees %s", tl.Name)
		}
	}
	var fleet struct {
		Servers []struct{ ID string } `json:"servers"`
	}
	if e := call(t, viewer, "list_servers", nil, &fleet); e != "" || len(fleet.Servers) != 1 {
		t.Fatalf("viewer list_servers: %q %+v", e, fleet)
	}
	res, err := viewer.CallTool(t.Context(), &mcp.CallToolParams{Name: "restart_service", Arguments: map[string]any{"server_id": "nas", "service_name": "svc0"}})
	if err == nil && !res.IsError {
		t.Fatal("a viewer token queued a restart")
	}
	var actions struct {
		Total int `json:"total"`
	}
	if api(t, "GET", h.URL+"/api/v1/actions", "", &actions); actions.Total != 0 {
		t.Fatalf("actions after a viewer's restart: %d", actions.Total)
	}

	op, err := mcpSession(t, h.URL, token("assistant-op", "operator"))
	if err != nil {
		t.Fatal(err)
	}
	var restart struct {
		RequestedBy string `json:"requested_by"`
	}
	if e := call(t, op, "restart_service", map[string]any{"server_id": "nas", "service_name": "svc0"}, &restart); e != "" ||
		restart.RequestedBy != "mcp:e2e-assistant (token:assistant-op)" {
		t.Fatalf("operator token restart: %q %+v", e, restart)
	}
}
