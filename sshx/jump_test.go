package sshx_test

import (
	"context"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/sshx"
)

// TestConnectVia reaches a second sshd that listens only on the test
// namespace's loopback, through the first as a jump host: the command
// runs there, the host key is pinned under the address and the jump host,
// and closing the connection closes the jump host's too.
func TestConnectVia(t *testing.T) {
	needSSHD(t)
	behind := sshd.StartBehindT(t)
	ctx := context.Background()
	pins := &memPins{}
	c := &sshx.Client{Pins: pins}
	front := sshx.Target{Host: sshd.Host, Port: sshd.Port, User: "root"}
	jump, err := c.Connect(ctx, front, sshx.Auth{PrivateKey: sshd.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	target := sshx.Target{Host: behind.Host, Port: behind.Port, User: "root"}
	conn, err := c.ConnectVia(ctx, jump, front.Addr(), target, sshx.Auth{PrivateKey: behind.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	res, err := conn.Run(ctx, "echo $SSH_CONNECTION", 0)
	if err != nil {
		t.Fatal(err)
	}
	// "client-ip client-port server-ip server-port": the jump host's loopback.
	if f := strings.Fields(res.Stdout); len(f) != 4 || f[0] != "127.0.0.1" || f[3] != "2222" {
		t.Fatalf("SSH_CONNECTION %q", res.Stdout)
	}
	pinKey := "127.0.0.1:2222 via " + front.Addr()
	if k, _ := pins.PinnedHostKey(ctx, pinKey); k == nil || !conn.NewHostKey {
		t.Fatalf("no pin under %q", pinKey)
	}
	if k, _ := pins.PinnedHostKey(ctx, "127.0.0.1:2222"); k != nil {
		t.Fatal("pinned under the bare address")
	}
	conn.Close()
	if _, err := jump.Run(ctx, "true", 0); err == nil {
		t.Fatal("the jump host's connection is still open")
	}
}
