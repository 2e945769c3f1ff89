package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// TestRunCommand: the agent runs only what the shared whitelist allows,
// only when it runs commands at all, and reports exit code and output.
func TestRunCommand(t *testing.T) {
	e := newExecutor(t, nil, nil)
	run := func(command string) homelabcmd.ActionResult {
		return e.Execute(context.Background(), homelabcmd.PendingCommand{ActionID: 1, ActionType: homelabcmd.ActionRunCommand, Command: command, TimeoutSeconds: 30})
	}
	if r := run("uptime"); r.Success || !strings.Contains(r.Error, "does not run commands") {
		t.Fatalf("readonly: %+v", r)
	}
	e.RunCommands = true
	for _, tc := range []struct {
		command, want string
		ok            bool
	}{
		{"uptime", "load average", true},
		{"free -m", "Mem:", true},
		{"cat /etc/shadow", "not on the whitelist", false},
		{"uptime; id", "not on the whitelist", false},
	} {
		r := run(tc.command)
		out := r.Stdout + r.Error
		if r.Success != tc.ok || !strings.Contains(out, tc.want) {
			t.Errorf("%q: %+v", tc.command, r)
		}
		if tc.ok && (r.ExitCode == nil || *r.ExitCode != 0) {
			t.Errorf("%q: exit %v", tc.command, r.ExitCode)
		}
	}
	w := &boundedBuffer{max: 4}
	w.Write([]byte("abc"))
	w.Write([]byte("def"))
	if w.String() != "abcd" {
		t.Fatalf("bounded: %q", w.String())
	}
}
