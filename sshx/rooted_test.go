package sshx_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/sshx"
	"github.com/homelabcmd/homelabcmd/sshx/sshtest"
)

// TestRootedServer checks the rooted test server the install tests rely
// on: what a command writes lands in the server's own root, stdin reaches
// the command, sudo takes its password from stdin only, and the stand-in
// systemctl starts and stops a unit.
func TestRootedServer(t *testing.T) {
	s := sshtest.StartRootedT(t)
	ctx := context.Background()
	c := &sshx.Client{Pins: &memPins{}}
	login := func(user string) *sshx.Conn {
		t.Helper()
		conn, err := c.Connect(ctx, sshx.Target{Host: s.Host, Port: s.Port, User: user}, sshx.Auth{PrivateKey: s.ClientKey})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	run := func(conn *sshx.Conn, in string, argv ...string) *sshx.Result {
		t.Helper()
		var r *strings.Reader
		if in != "" {
			r = strings.NewReader(in)
		}
		var res *sshx.Result
		var err error
		if r != nil {
			res, err = conn.RunInput(ctx, sshx.Command(argv...), r, 0)
		} else {
			res, err = conn.Run(ctx, sshx.Command(argv...), 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	root := login("root")
	if r := run(root, "", "uname", "-m"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) == "" {
		t.Fatalf("uname: %+v", r)
	}
	name := "/tmp/sshtest-rooted-" + strings.ReplaceAll(t.Name(), "/", "-")
	if r := run(root, "hello\n", "dd", "of="+name); r.ExitCode != 0 {
		t.Fatalf("dd: %+v", r)
	}
	if b, err := os.ReadFile(s.InRoot(name)); err != nil || string(b) != "hello\n" {
		t.Fatalf("file in the root: %q %v", b, err)
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("%s landed on the test machine", name)
	}

	user := login(sshtest.SudoUser)
	if r := run(user, "", "id", "-u"); strings.TrimSpace(r.Stdout) != "1000" {
		t.Fatalf("id: %+v", r)
	}
	if r := run(user, s.SudoPassword+"\nfrom stdin\n", "sudo", "-S", "-p", "", "sh", "-c", "id -u; cat"); r.ExitCode != 0 || r.Stdout != "0\nfrom stdin\n" {
		t.Fatalf("sudo with the password: %+v", r)
	}
	if r := run(user, "wrong\n", "sudo", "-S", "-p", "", "id", "-u"); r.ExitCode == 0 {
		t.Fatalf("sudo with a wrong password: %+v", r)
	}
	if r := run(user, "", "sudo", "-n", "id", "-u"); r.ExitCode == 0 {
		t.Fatalf("sudo -n: %+v", r)
	}

	unit := "[Unit]\n[Service]\nExecStart=/bin/sleep 600\n"
	if err := os.WriteFile(s.InRoot("/etc/systemd/system/sleeper.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		argv []string
		out  string
	}{
		{[]string{"systemctl", "enable", "--now", "sleeper.service"}, ""},
		{[]string{"systemctl", "is-active", "sleeper.service"}, "active\n"},
		{[]string{"systemctl", "is-enabled", "sleeper.service"}, "enabled\n"},
		{[]string{"systemctl", "disable", "--now", "sleeper.service"}, ""},
		{[]string{"systemctl", "is-active", "sleeper.service"}, "inactive\n"},
	} {
		if r := run(root, "", step.argv...); r.Stdout != step.out {
			t.Fatalf("%v: %+v", step.argv, r)
		}
	}
}
