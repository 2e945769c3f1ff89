package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// With the operator key the agent names its server in the query; with an
// agent token (bound to one server) it does not.
func TestCommandsQuery(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
		if r.Method == http.MethodGet {
			w.Write([]byte(`{"commands":[{"action_id":3,"action_type":"restart_service","parameters":{"service_name":"plex"}}]}`))
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	key := New(srv.URL)
	key.APIKey = "k"
	cmds, err := key.Commands(ctx, "nas", 25*time.Second)
	if err != nil || len(cmds) != 1 || cmds[0].Parameters["service_name"] != "plex" {
		t.Fatalf("%v %+v", err, cmds)
	}
	tok := New(srv.URL)
	tok.AgentToken, tok.ServerGUID = "t", "g"
	if err := tok.ReportResult(ctx, "nas", 3, homelabcmd.ActionResult{Success: true}); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /api/v1/agents/commands?server_id=nas&wait=25", "POST /api/v1/agents/commands/3/result"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("requests %q, want %q", got, want)
	}
}
