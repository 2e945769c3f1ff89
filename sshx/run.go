package sshx

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// DefaultMaxOutput bounds what Run keeps of each of stdout and stderr.
const DefaultMaxOutput = 64 << 10

// Result is a finished remote command.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
	// Truncated says output beyond the limit was dropped.
	Truncated bool
}

// ErrTimeout is returned when ctx ends before the command does; the
// remote process is sent SIGKILL and the session closed.
var ErrTimeout = errors.New("the command did not finish in time")

// Run runs command (a fixed string, or a template filled with Quote) and
// keeps at most max bytes (DefaultMaxOutput when ≤ 0) of each stream. A
// non-zero exit is a Result, not an error.
func (c *Conn) Run(ctx context.Context, command string, max int) (*Result, error) {
	return c.RunInput(ctx, command, nil, max)
}

// RunInput is Run with stdin fed from in (nil: none). Secrets a command
// needs (sudo -S reads its password there) travel this way, never in the
// command line, which the remote ps and logs can see.
func (c *Conn) RunInput(ctx context.Context, command string, in io.Reader, max int) (*Result, error) {
	if max <= 0 {
		max = DefaultMaxOutput
	}
	sess, err := c.c.NewSession()
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	stdout, stderr := &limitBuf{max: max}, &limitBuf{max: max}
	sess.Stdout, sess.Stderr = stdout, stderr
	if in != nil {
		sess.Stdin = in
	}
	done := make(chan error, 1)
	if err := sess.Start(command); err != nil {
		return nil, err
	}
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		sess.Close()
		return nil, ErrTimeout
	}
	res := &Result{Stdout: stdout.String(), Stderr: stderr.String(), Truncated: stdout.cut || stderr.cut}
	var exit *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitStatus()
	case errors.As(err, &missing):
		res.ExitCode = -1
	default:
		return nil, err
	}
	return res, nil
}

// limitBuf keeps the first max bytes written and counts the rest away.
type limitBuf struct {
	mu  sync.Mutex
	b   strings.Builder
	max int
	cut bool
}

func (l *limitBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room < len(p) {
		l.cut = true
		if room > 0 {
			l.b.Write(p[:room])
		}
		return len(p), nil
	}
	l.b.Write(p)
	return len(p), nil
}

func (l *limitBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Quote makes s one word for a POSIX shell (the remote login shell runs
// every exec request): single quotes, with ' written as '\”.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command joins a fixed program and validated arguments into one exec
// string, every word quoted.
func Command(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
