package sshx

import "testing"

// TestSudoWrap: root runs argv directly; another user goes through sudo,
// with the password on stdin only (never in the command line).
func TestSudoWrap(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s         Sudo
		cmd, echo string
	}{
		{"root", Sudo{User: "root", Password: "pw"}, `'sysctl' '-w' 'a.b=1'`, ""},
		{"no password", Sudo{User: "ops"}, `'sudo' '-n' '--' 'sysctl' '-w' 'a.b=1'`, ""},
		{"password", Sudo{User: "ops", Password: "s3cret'"}, `'sudo' '-k' '-S' '-p' '' '--' 'sysctl' '-w' 'a.b=1'`, "s3cret'\n"},
	} {
		cmd, stdin := tc.s.Wrap("sysctl", "-w", "a.b=1")
		if cmd != tc.cmd || string(stdin) != tc.echo {
			t.Errorf("%s: %q %q", tc.name, cmd, stdin)
		}
	}
}
