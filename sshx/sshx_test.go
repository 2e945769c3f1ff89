package sshx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/homelabcmd/homelabcmd/sshx"
	"github.com/homelabcmd/homelabcmd/sshx/sshtest"
)

var sshd *sshtest.SSHD

// TestMain starts one real sshd in a test network namespace for the package.
func TestMain(m *testing.M) {
	var err error
	sshd, err = sshtest.Start()
	if err != nil && (sshtest.Required() || !errors.Is(err, sshtest.ErrUnavailable)) {
		fmt.Fprintln(os.Stderr, "sshd:", err)
		os.Exit(1)
	}
	code := m.Run()
	if sshd != nil {
		sshd.Close()
	}
	os.Exit(code)
}

func needSSHD(t *testing.T) {
	t.Helper()
	if sshd == nil {
		t.Skip("no sshd: ", sshtest.ErrUnavailable)
	}
}

// memPins is an in-memory pin store.
type memPins struct {
	mu   sync.Mutex
	keys map[string][]byte
}

func (p *memPins) PinnedHostKey(_ context.Context, addr string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[addr], nil
}

func (p *memPins) PinHostKey(_ context.Context, addr string, k ssh.PublicKey) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = map[string][]byte{}
	}
	p.keys[addr] = k.Marshal()
	return nil
}

func target() sshx.Target { return sshx.Target{Host: sshd.Host, Port: sshd.Port, User: sshd.User} }

func TestLoginAndPinning(t *testing.T) {
	needSSHD(t)
	ctx := context.Background()
	other, err := ssh.ParsePrivateKey(mustOtherKey(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		auth    sshx.Auth
		pin     []byte // pinned before connecting; nil: none
		wantErr string
		wantNew bool
	}{
		{name: "key, first use pins", auth: sshx.Auth{PrivateKey: sshd.ClientKey}, wantNew: true},
		{name: "password", auth: sshx.Auth{Password: sshd.Password}, wantNew: true},
		{name: "key, pinned matches", auth: sshx.Auth{PrivateKey: sshd.ClientKey}, pin: sshd.HostKey.Marshal()},
		{name: "changed host key refused", auth: sshx.Auth{PrivateKey: sshd.ClientKey}, pin: other.PublicKey().Marshal(), wantErr: "host key of"},
		{name: "wrong password", auth: sshx.Auth{Password: "nope"}, wantErr: "unable to authenticate"},
		{name: "unknown key", auth: sshx.Auth{PrivateKey: mustOtherKey(t)}, wantErr: "unable to authenticate"},
		{name: "nothing to log in with", wantErr: sshx.ErrNoAuth.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pins := &memPins{}
			if tt.pin != nil {
				pins.keys = map[string][]byte{target().Addr(): tt.pin}
			}
			c := &sshx.Client{Pins: pins, Timeout: 5 * time.Second}
			conn, err := c.Connect(ctx, target(), tt.auth)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.pin != nil && string(pins.keys[target().Addr()]) != string(tt.pin) {
					t.Fatal("a refused login changed the pin")
				}
				if tt.pin == nil && len(pins.keys) != 0 {
					t.Fatal("a failed login pinned a key")
				}
				var hk *sshx.HostKeyChangedError
				if tt.name == "changed host key refused" && (!errors.As(err, &hk) || hk.Presented != ssh.FingerprintSHA256(sshd.HostKey)) {
					t.Fatalf("want HostKeyChangedError naming the presented key, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if conn.NewHostKey != tt.wantNew || conn.HostKey != ssh.FingerprintSHA256(sshd.HostKey) {
				t.Fatalf("host key %s new=%v", conn.HostKey, conn.NewHostKey)
			}
			if string(pins.keys[target().Addr()]) != string(sshd.HostKey.Marshal()) {
				t.Fatal("host key not pinned")
			}
			res, err := conn.Run(ctx, sshx.Command("echo", "it's $HOME"), 0)
			if err != nil || res.Stdout != "it's $HOME\n" || res.ExitCode != 0 {
				t.Fatalf("run: %+v %v", res, err)
			}
		})
	}
}

func TestRunLimits(t *testing.T) {
	needSSHD(t)
	c := &sshx.Client{Pins: &memPins{}, Timeout: 5 * time.Second}
	conn, err := c.Connect(context.Background(), target(), sshx.Auth{PrivateKey: sshd.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Run("exit code and stderr", func(t *testing.T) {
		res, err := conn.Run(context.Background(), "ls /nonexistent-sshx-test", 0)
		if err != nil || res.ExitCode == 0 || !strings.Contains(res.Stderr, "nonexistent") {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("output bounded", func(t *testing.T) {
		res, err := conn.Run(context.Background(), "head -c 100000 /dev/zero", 1000)
		if err != nil || len(res.Stdout) != 1000 || !res.Truncated {
			t.Fatalf("len %d truncated %v err %v", len(res.Stdout), res.Truncated, err)
		}
	})
	t.Run("timeout kills", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if _, err := conn.Run(ctx, "sleep 30", 0); !errors.Is(err, sshx.ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "'plain'", "it's": `'it'\''s'`, "$(rm -rf /)": "'$(rm -rf /)'", "": "''",
	} {
		if got := sshx.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func mustOtherKey(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/other_ed25519")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
