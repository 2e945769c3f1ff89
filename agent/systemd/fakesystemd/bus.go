package fakesystemd

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bus is a private dbus-daemon.
type Bus struct {
	Address string
	cmd     *exec.Cmd
}

// StartBus runs `dbus-daemon --session` listening on a socket in dir and
// returns once it prints its address. Stop it with Close.
func StartBus(dir string) (*Bus, error) {
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("dbus-daemon not installed (Debian package dbus): %w", err)
	}
	cmd := exec.Command(path, "--session", "--address=unix:path="+filepath.Join(dir, "bus"), "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			addr <- strings.TrimSpace(sc.Text())
		}
		close(addr)
		for sc.Scan() {
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok || a == "" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("dbus-daemon printed no address")
		}
		return &Bus{Address: a, cmd: cmd}, nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("dbus-daemon did not start within 10s")
	}
}

// Close stops the daemon.
func (b *Bus) Close() error {
	b.cmd.Process.Kill()
	return b.cmd.Wait()
}

// New starts a private bus and a fake systemd on it for one test, skipping
// the test (with the reason) when dbus-daemon is missing. Both stop at the
// end of the test.
func New(tb testing.TB) (*Systemd, string) {
	tb.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		tb.Skip("dbus-daemon not installed (Debian package dbus); scripts/test installs it")
	}
	bus, err := StartBus(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bus.Close() })
	s, err := Serve(bus.Address)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, bus.Address
}
