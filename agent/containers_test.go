package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// fakeEngine records container actions.
type fakeEngine struct {
	mu   sync.Mutex
	done []string
	err  error
}

func (f *fakeEngine) act(verb, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, verb+" "+name)
	return f.err
}
func (f *fakeEngine) Restart(_ context.Context, n string) error { return f.act("restart", n) }
func (f *fakeEngine) Start(_ context.Context, n string) error   { return f.act("start", n) }
func (f *fakeEngine) Stop(_ context.Context, n string) error    { return f.act("stop", n) }

func containerCmd(id int64, typ, name string) homelabcmd.PendingCommand {
	return homelabcmd.PendingCommand{ActionID: id, ActionType: typ, Parameters: map[string]string{"service_name": name}, TimeoutSeconds: 5}
}

// The executor acts only on containers the hub expects or the allow-list
// names, through the engine, and says why it refused.
func TestExecutorContainerActions(t *testing.T) {
	tests := []struct {
		name    string
		cmd     homelabcmd.PendingCommand
		engine  bool
		fail    error
		ok      bool
		errText string
		done    string
	}{
		{"expected container restarted", containerCmd(1, homelabcmd.ActionRestartContainer, "plex"), true, nil, true, "", "restart plex"},
		{"allow-listed container stopped", containerCmd(2, homelabcmd.ActionStopContainer, "backup"), true, nil, true, "", "stop backup"},
		{"expected container started", containerCmd(3, homelabcmd.ActionStartContainer, "plex"), true, nil, true, "", "start plex"},
		{"neither expected nor allow-listed: refused", containerCmd(4, homelabcmd.ActionStopContainer, "db"), true, nil, false, "neither expected by the hub nor in this agent's container_allowlist", ""},
		{"bad name: refused", containerCmd(5, homelabcmd.ActionRestartContainer, "../x"), true, nil, false, "refused", ""},
		{"no engine", containerCmd(6, homelabcmd.ActionRestartContainer, "plex"), false, nil, false, "no container engine", ""},
		{"engine error reported", containerCmd(7, homelabcmd.ActionRestartContainer, "plex"), true, errors.New("boom"), false, "restart container plex: boom", "restart plex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng := &fakeEngine{err: tc.fail}
			e := &Executor{Config: &Config{ServerID: "nas", ContainerAllowlist: []string{"backup"}},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ExpectedContainers: func() []string { return []string{"plex"} }}
			if tc.engine {
				e.Containers = eng
			}
			res := e.Execute(context.Background(), tc.cmd)
			if res.Success != tc.ok || !strings.Contains(res.Error, tc.errText) {
				t.Fatalf("result %+v, want success %v and %q", res, tc.ok, tc.errText)
			}
			if got := strings.Join(eng.done, ";"); got != tc.done {
				t.Errorf("engine calls %q, want %q", got, tc.done)
			}
		})
	}
}
