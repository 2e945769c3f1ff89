package mcpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/mcpapi"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// A read-only credential sees only the read tools, and a session opened
// by one credential cannot be used by another.
func TestScopes(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateServer(ctx, &homelabcmd.Server{ID: "nas", Hostname: "nas.lan"}); err != nil {
			t.Fatal(err)
		}
		engine := hub.New(db, nil, hub.Options{})
		verify := func(_ *http.Request, token string) (mcpapi.Principal, error) {
			switch token {
			case "reader-token":
				return mcpapi.Principal{Name: "reader"}, nil
			case "operator-token":
				return mcpapi.Principal{Name: "operator", CanOperate: true}, nil
			}
			return mcpapi.Principal{}, errors.New("unknown token")
		}
		srv := httptest.NewServer(mcpapi.Handler(db, engine, verify, nil))
		t.Cleanup(srv.Close)
		connect := func(token string) *mcp.ClientSession {
			t.Helper()
			c := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil)
			s, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: srv.URL, MaxRetries: -1,
				HTTPClient: &http.Client{Transport: bearer{token}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}

		reader := connect("reader-token")
		tools, err := reader.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tl := range tools.Tools {
			names = append(names, tl.Name)
		}
		if slices.Contains(names, "restart_service") || slices.Contains(names, "acknowledge_alert") || !slices.Contains(names, "list_servers") {
			t.Fatalf("a read-only credential sees %v", names)
		}
		res, err := reader.CallTool(ctx, &mcp.CallToolParams{Name: "restart_service", Arguments: map[string]any{"server_id": "nas", "service_name": "plex"}})
		if err == nil && !res.IsError {
			t.Fatal("a read-only credential queued a restart")
		}
		if list, _, _ := db.ListActions(ctx, homelabcmd.ActionFilter{}); len(list) != 0 {
			t.Fatalf("actions after a refused restart: %d", len(list))
		}

		// The reader's session id works with the reader's token, and is
		// refused with the operator's.
		post := func(token string) int {
			t.Helper()
			req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"jsonrpc":"2.0","id":99,"method":"tools/list"}`))
			req.Header.Set("Mcp-Session-Id", reader.ID())
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", reader.InitializeResult().ProtocolVersion)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post("reader-token"); code != http.StatusOK {
			t.Fatalf("the reader's own session: %d", code)
		}
		if code := post("operator-token"); code < 400 {
			t.Fatalf("another credential used the reader's session: %d", code)
		}

		op := connect("operator-token")
		res, err = op.CallTool(ctx, &mcp.CallToolParams{Name: "restart_service", Arguments: map[string]any{"server_id": "nas", "service_name": "plex"}})
		if err != nil || res.IsError {
			t.Fatalf("operator restart: %+v, %v", res, err)
		}
	})
}
