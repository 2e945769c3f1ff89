package sshx

import (
	"bytes"
	"context"
	"io"
)

// Sudo runs commands as root on a machine logged in to as User: directly
// when User is root, else through sudo — with the password (when one is
// stored) fed on stdin (sudo -S, empty prompt), never on the command line nor in
// a log; without one, sudo -n (fails instead of prompting).
type Sudo struct {
	User     string
	Password string
}

// Wrap returns the command line that runs argv as root and the stdin to
// send with it. -k ignores cached credentials, so sudo always reads the
// password line first; a NOPASSWD rule skips the prompt, and the line then
// reaches the command's stdin — so commands run this way must not read it.
func (s Sudo) Wrap(argv ...string) (string, []byte) {
	switch {
	case s.User == "root":
		return Command(argv...), nil
	case s.Password == "":
		return Command(append([]string{"sudo", "-n", "--"}, argv...)...), nil
	default:
		return Command(append([]string{"sudo", "-k", "-S", "-p", "", "--"}, argv...)...), []byte(s.Password + "\n")
	}
}

// RunSudo runs argv as root (see Sudo) and keeps at most max bytes of each
// stream, as Run.
func (c *Conn) RunSudo(ctx context.Context, s Sudo, max int, argv ...string) (*Result, error) {
	cmd, stdin := s.Wrap(argv...)
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	return c.RunInput(ctx, cmd, in, max)
}
