// Command fakesudo stands in for sudo inside sshtest's rooted server,
// which has no PAM or sudoers: installed setuid root as /usr/bin/sudo, it
// implements the part of sudo the hub relies on — -S reads the password as
// one line from stdin (byte by byte, so the rest of stdin reaches the
// command, as with sudo), -p sets the prompt, -k is accepted (nothing is cached), -n fails when a password
// would be needed — checks the password against /etc/sudo-password (mode
// 0600, root only) and then runs the command as root. Test fixture only.
package main

import (
	"crypto/subtle"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

func main() {
	args := os.Args[1:]
	stdin, prompt, nonInteractive := false, "[sudo] password: ", false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-S":
			stdin = true
		case "-n":
			nonInteractive = true
		case "-k":
			// no cached credentials to forget: every run asks
		case "-p":
			if len(args) < 2 {
				fail("sudo: option requires an argument -- 'p'")
			}
			prompt = args[1]
			args = args[1:]
		case "--":
			args = args[1:]
			goto run
		default:
			fail("sudo: unknown option " + args[0])
		}
		args = args[1:]
	}
run:
	if len(args) == 0 {
		fail("usage: sudo [-k] [-S] [-n] [-p prompt] [--] command [args...]")
	}
	if os.Getuid() != 0 {
		want, err := os.ReadFile("/etc/sudo-password")
		if err != nil {
			fail("sudo: " + err.Error())
		}
		if nonInteractive || !stdin {
			fail("sudo: a password is required")
		}
		fmt.Fprint(os.Stderr, prompt)
		got := readLine()
		if subtle.ConstantTimeCompare([]byte(got), []byte(strings.TrimSpace(string(want)))) != 1 {
			fail("sudo: 1 incorrect password attempt")
		}
	}
	if err := syscall.Setgid(0); err != nil {
		fail("sudo: setgid: " + err.Error())
	}
	if err := syscall.Setuid(0); err != nil {
		fail("sudo: setuid: " + err.Error())
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fail("sudo: " + args[0] + ": command not found")
	}
	env := append(os.Environ(), "SUDO_USER="+os.Getenv("USER"), "HOME=/root", "USER=root", "LOGNAME=root")
	err = syscall.Exec(path, args, env)
	fail("sudo: " + err.Error())
}

// readLine reads up to a newline one byte at a time.
func readLine() string {
	var b []byte
	one := make([]byte, 1)
	for len(b) < 1024 {
		n, err := os.Stdin.Read(one)
		if n == 0 || err != nil || one[0] == '\n' {
			break
		}
		b = append(b, one[0])
	}
	return string(b)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}
