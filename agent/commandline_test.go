package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
	"github.com/homelabcmd/homelabcmd/client"
)

// The agent holds the command line open: after a failed poll it backs off
// and polls again, hands what arrives to Commands, and stops with Run.
func TestCommandLine(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != client.CommandsPath || r.URL.Query().Get("wait") != "25" || r.URL.Query().Get("server_id") != "nas" {
			w.WriteHeader(400)
			return
		}
		switch polls.Add(1) {
		case 1:
			w.WriteHeader(503)
			return
		case 2:
			json.NewEncoder(w).Encode(map[string]any{"commands": []homelabcmd.PendingCommand{restartCmd(9, "plex")}})
			return
		}
		select { // an empty line: wait as the hub does
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
		w.Write([]byte(`{"commands":[]}`))
	}))
	t.Cleanup(srv.Close)
	c := client.New(srv.URL)
	c.APIKey = "test-key-0123456789"
	got := make(chan []homelabcmd.PendingCommand, 10)
	a := &Agent{Config: testConfig(time.Hour, "plex"), Collectors: []collect.Collector{fakeHost{}}, Line: c, Logger: discard(),
		Commands: func(_ context.Context, cmds []homelabcmd.PendingCommand) { got <- cmds }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	select {
	case cmds := <-got:
		if len(cmds) != 1 || cmds[0].ActionID != 9 || cmds[0].Parameters["service_name"] != "plex" {
			t.Fatalf("commands %+v", cmds)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no command arrived over the line")
	}
	for polls.Load() < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with an open poll")
	}
}

// Beat asks the loop for a heartbeat at once, even with an hour between ticks.
func TestBeatSendsHeartbeat(t *testing.T) {
	hub := newFakeHub(t)
	a := startAgent(t, testConfig(time.Hour, "plex"), nil, hub, "")
	hub.next(t)
	a.Beat()
	if hb := hub.next(t); hb.Filesystems != nil {
		t.Fatalf("a beat carries no filesystems: %+v", hb)
	}
}
