package agentless_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
	"github.com/homelabcmd/homelabcmd/sshx/sshtest"
)

// TestInstallAgentRefusesBadRequests checks the request before any login.
func TestInstallAgentRefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	ok := agentless.AgentInstallRequest{Hostname: "10.213.250.2", ServerID: "box", HubURL: "http://10.213.250.1:8080"}
	for _, tc := range []struct {
		name  string
		edit  func(r *agentless.AgentInstallRequest)
		field string
	}{
		{"server id", func(r *agentless.AgentInstallRequest) { r.ServerID = "Not A Slug" }, "server_id"},
		{"no hub url", func(r *agentless.AgentInstallRequest) { r.HubURL = "" }, "hub_url"},
		{"hub url scheme", func(r *agentless.AgentInstallRequest) { r.HubURL = "file:///etc/passwd" }, "hub_url"},
		{"mode", func(r *agentless.AgentInstallRequest) { r.Mode = "root" }, "mode"},
		{"service", func(r *agentless.AgentInstallRequest) { r.MonitoredServices = []string{"a b; rm -rf /"} }, "monitored_services"},
		{"no host for a new server", func(r *agentless.AgentInstallRequest) { r.Hostname = "" }, "hostname"},
		{"username", func(r *agentless.AgentInstallRequest) { r.Username = "-oProxyCommand=x" }, "username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			_, err := e.svc.InstallAgent(context.Background(), "test", r)
			if homelabcmd.ErrorCode(err) != homelabcmd.EINVALID || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("want EINVALID naming %s, got %v", tc.field, err)
			}
		})
	}
}

// TestInstallAgentChecksumMismatch: a binary whose SHA-256 on the target is
// not the hub's is refused and nothing is installed (a rooted sshd, so
// nothing lands on the test machine).
func TestInstallAgentChecksumMismatch(t *testing.T) {
	s := sshtest.StartRootedT(t)
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.SetCredential(ctx, "test", "", homelabcmd.CredSSHPrivateKey, string(s.ClientKey)); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "agent")
	if err := os.WriteFile(bin, []byte("not the agent"), 0o755); err != nil {
		t.Fatal(err)
	}
	var asked string
	e.svc.AgentBinary = func(arch string) (string, string, error) {
		asked = arch
		return bin, strings.Repeat("ab", 32), nil
	}
	res, err := e.svc.InstallAgent(ctx, "test", agentless.AgentInstallRequest{Hostname: s.Host, ServerID: "box", HubURL: "http://" + s.HostSide + ":1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || res.Error == nil || !strings.Contains(*res.Error, "SHA-256") || asked == "" {
		t.Fatalf("want a refusal, got %+v (arch %q)", res, asked)
	}
	if _, err := os.Stat(s.InRoot(agentless.AgentBinaryPath)); !os.IsNotExist(err) {
		t.Fatalf("a binary was installed: %v", err)
	}
	if left, _ := filepath.Glob(s.InRoot("/tmp/homelabcmd-agent.*")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	if _, err := e.db.FindServer(ctx, "box"); !homelabcmd.IsNotFound(err) {
		t.Fatalf("a refused install registered the server: %v", err)
	}
	audit, _ := e.svc.Audit(ctx, 100)
	refused := false
	for _, a := range audit {
		refused = refused || a.Outcome == "refused" && strings.Contains(a.Detail, "checksum mismatch")
	}
	if !refused {
		t.Fatal("the refusal is not in the audit")
	}
}

// TestRemoveAgentUnreachable: a machine that cannot be reached is still
// marked inactive (the answer says its files stay); activation clears it
// once.
func TestRemoveAgentUnreachable(t *testing.T) {
	needSSHD(t)
	e := newEnv(t)
	ctx := context.Background()
	e.server(t, "gone")
	// Nothing listens on the host side of the namespace's pair.
	if _, err := e.svc.SetServerTarget(ctx, "test", homelabcmd.SSHTarget{ServerID: "gone", Host: sshd.HostSide, Port: 1, Username: "root"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetCredential(ctx, "test", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.RemoveAgent(ctx, "test", "gone", agentless.AgentRemoveRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || !strings.Contains(res.Message, "marked inactive") {
		t.Fatalf("remove: %+v", res)
	}
	srv, err := e.db.FindServer(ctx, "gone")
	if err != nil || !srv.IsInactive || srv.InactiveSince == nil || srv.Status != "offline" {
		t.Fatalf("after removal: %+v %v", srv, err)
	}
	if _, err := e.svc.UpgradeAgent(ctx, "test", "gone"); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
		t.Fatalf("upgrade of an inactive server: %v", err)
	}
	if srv, err := e.svc.ActivateAgent(ctx, "test", "gone"); err != nil || srv.IsInactive || srv.InactiveSince != nil {
		t.Fatalf("activate: %+v %v", srv, err)
	}
	if _, err := e.svc.ActivateAgent(ctx, "test", "gone"); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
		t.Fatalf("activating an active server: %v", err)
	}
	if _, err := e.svc.RemoveAgent(ctx, "test", "nope", agentless.AgentRemoveRequest{}); !homelabcmd.IsNotFound(err) {
		t.Fatalf("remove unknown: %v", err)
	}
}
