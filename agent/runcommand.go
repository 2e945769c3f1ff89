package agent

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// runCommand carries out run_command: the hub's command text must match
// the same whitelist the hub checked (homelabcmd.MatchCommand); the
// template's argv is executed directly (never a shell), as root through
// sudo -n when the agent is not root, with a timeout and each stream kept
// to homelabcmd.CommandOutputLimit bytes.
func (e *Executor) runCommand(ctx context.Context, cmd homelabcmd.PendingCommand, start time.Time, fail func(string, ...any) homelabcmd.ActionResult) homelabcmd.ActionResult {
	if !e.RunCommands {
		return fail("refused: this agent does not run commands (mode readonly); nothing was run")
	}
	t, argv, ok := homelabcmd.MatchCommand(cmd.Command, "")
	if !ok {
		return fail("refused: the command is not on the whitelist; nothing was run")
	}
	if t.Sudo && os.Geteuid() != 0 {
		argv = append([]string{"sudo", "-n", "--"}, argv...)
	}
	timeout := 60 * time.Second
	if cmd.TimeoutSeconds > 0 {
		timeout = time.Duration(cmd.TimeoutSeconds) * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := exec.CommandContext(cctx, argv[0], argv[1:]...)
	stdout, stderr := &boundedBuffer{max: homelabcmd.CommandOutputLimit}, &boundedBuffer{max: homelabcmd.CommandOutputLimit}
	c.Stdout, c.Stderr, c.WaitDelay = stdout, stderr, 5*time.Second
	e.Logger.Info("running a whitelisted command for the hub", "action_id", cmd.ActionID, "template", t.ActionType)
	err := c.Run()
	res := homelabcmd.ActionResult{Stdout: stdout.String(), Stderr: stderr.String(), DurationMS: time.Since(start).Milliseconds()}
	exit := 0
	var ee *exec.ExitError
	switch {
	case cctx.Err() != nil:
		r := fail("%s did not finish within %s", t.ActionType, timeout)
		r.Stdout = res.Stdout
		return r
	case errors.As(err, &ee):
		exit = ee.ExitCode()
		res.Error = t.ActionType + " exited with " + ee.String()
	case err != nil:
		return fail("%s: %v", t.ActionType, err)
	}
	res.ExitCode, res.Success = &exit, exit == 0
	return res
}

// boundedBuffer keeps the first max bytes written and drops the rest.
type boundedBuffer struct {
	mu  sync.Mutex
	b   []byte
	max int
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *boundedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.b)
}
