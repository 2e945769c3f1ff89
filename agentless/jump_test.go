package agentless_test

import (
	"context"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// TestJumpHost reaches a server that listens only on the test namespace's
// loopback through another server as its jump host: each with its own key,
// both logins audited, the chain limited to one hop.
func TestJumpHost(t *testing.T) {
	needSSHD(t)
	behind := sshd.StartBehindT(t)
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "front")
	if err := e.db.CreateServer(ctx, &homelabcmd.Server{ID: "inner", Hostname: "inner"}); err != nil {
		t.Fatal(err)
	}
	front := "front"
	for _, tc := range []struct {
		name   string
		target homelabcmd.SSHTarget
		want   string
	}{
		{"itself", homelabcmd.SSHTarget{ServerID: "inner", Host: behind.Host, Port: behind.Port, Username: "root", JumpServerID: strPtr("inner")}, "own jump host"},
		{"unknown", homelabcmd.SSHTarget{ServerID: "inner", Host: behind.Host, Port: behind.Port, Username: "root", JumpServerID: strPtr("nope")}, "no server"},
	} {
		if _, err := e.svc.SetServerTarget(ctx, "test", tc.target); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if _, err := e.svc.SetServerTarget(ctx, "test", homelabcmd.SSHTarget{ServerID: "inner", Host: behind.Host, Port: behind.Port, Username: "root", JumpServerID: &front}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetCredential(ctx, "test", "front", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetCredential(ctx, "test", "inner", homelabcmd.CredSSHPrivateKey, string(behind.ClientKey)); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.TestServer(ctx, "test", "inner")
	if err != nil || !res.Success || !res.NewHostKey {
		t.Fatalf("test through the jump host: %+v %v", res, err)
	}
	out, err := e.svc.Execute(ctx, "test", "inner", "uptime", "")
	if err != nil || !out.Success {
		t.Fatalf("command through the jump host: %+v %v", out, err)
	}
	audit, _ := e.svc.Audit(ctx, 50)
	var jumped, inner bool
	for _, a := range audit {
		jumped = jumped || a.Action == "test_ssh (jump host)" && a.Credential == "server front ssh_private_key"
		inner = inner || a.Action == "test_ssh" && strings.HasSuffix(a.Target, " via "+sshd.Host+":22") && a.Credential == "server inner ssh_private_key"
	}
	if !jumped || !inner {
		t.Fatalf("audit: jump %v, inner %v: %+v", jumped, inner, audit)
	}
	// A server behind inner would be two hops.
	if err := e.db.CreateServer(ctx, &homelabcmd.Server{ID: "deeper", Hostname: "deeper"}); err != nil {
		t.Fatal(err)
	}
	inner2 := "inner"
	if _, err := e.svc.SetServerTarget(ctx, "test", homelabcmd.SSHTarget{ServerID: "deeper", Host: "127.0.0.1", Port: 22, Username: "root", JumpServerID: &inner2}); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
		t.Fatalf("two hops: %v", err)
	}
}

func strPtr(s string) *string { return &s }
