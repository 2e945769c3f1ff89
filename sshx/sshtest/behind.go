package sshtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BehindPort is the port of a StartBehind server.
const BehindPort = 2222

// StartBehindT is StartBehind for a test: it fails the test on an error
// and closes the server at its end.
func (s *SSHD) StartBehindT(t testing.TB) *SSHD {
	t.Helper()
	b, err := s.StartBehind()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// StartBehind starts a second sshd in s's namespace that listens only on
// the namespace's own loopback (127.0.0.1:2222): the test machine cannot
// reach it except through s as a jump host. It has its own host key and
// client key; root's password is s's. Close stops it and leaves s be.
func (s *SSHD) StartBehind() (*SSHD, error) {
	b := &SSHD{NS: s.NS, Host: "127.0.0.1", Port: BehindPort, Subnet: s.Subnet, HostSide: s.HostSide, User: "root",
		Password: s.Password, guest: true, stopped: make(chan struct{})}
	var err error
	if b.dir, err = os.MkdirTemp("", "sshtest-behind-"); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	hostKey := filepath.Join(b.dir, "host_ed25519")
	if err := b.makeKeys(hostKey, filepath.Join(b.dir, "authorized_keys")); err != nil {
		return nil, err
	}
	pid := filepath.Join(b.dir, "sshd.pid")
	cfg := sshdConfig("127.0.0.1", BehindPort, hostKey, filepath.Join(b.dir, "authorized_keys"), pid)
	if err := os.WriteFile(filepath.Join(b.dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	// sshd writes its pid file once it listens.
	ready := func() error {
		if _, err := os.Stat(pid); err != nil {
			time.Sleep(50 * time.Millisecond)
			return err
		}
		return nil
	}
	if err := b.launchUntil(exec.Command("ip", "netns", "exec", s.NS, Sshd, "-D", "-e", "-f", filepath.Join(b.dir, "sshd_config")), ready); err != nil {
		return nil, err
	}
	ok = true
	return b, nil
}
