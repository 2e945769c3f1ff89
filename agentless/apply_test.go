package agentless_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// queue is the approval queue as the hub's job sees it.
type queue struct {
	*hub.Engine
	db *sqlstore.DB
}

func (q queue) ListActions(ctx context.Context, f homelabcmd.ActionFilter) ([]*homelabcmd.Action, int, error) {
	return q.db.ListActions(ctx, f)
}

// nsSysctl reads a sysctl inside the test sshd's network namespace.
func nsSysctl(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", sshd.NS, "sysctl", "-n", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestApplyPackThroughApproval: applying a pack is an action a person
// approves; the hub then changes only what is out of line over SSH (files
// under the test's own directory, a net.* sysctl of the test namespace;
// packages already as the pack wants are left alone) and keeps each
// item's result with the compliance check afterwards.
func TestApplyPackThroughApproval(t *testing.T) {
	needSSHD(t)
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "box")
	if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "motd"), []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	forward := map[string]string{"0": "1", "1": "0"}[nsSysctl(t, "net.ipv4.ip_forward")]
	// Package items only as this machine already has them: never installs.
	var pkgs string
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", "openssh-server").Output(); strings.Contains(string(out), "install ok installed") {
		pkgs = "packages:\n  present: [openssh-server]\n"
		if exec.Command("dpkg-query", "-W", "telnetd").Run() != nil {
			pkgs += "  absent: [telnetd]\n"
		}
	}
	pack, err := agentless.ParsePack([]byte(`name: apply-test
` + pkgs + `sysctl:
  net.ipv4.ip_forward: "` + forward + `"
files:
  - path: ` + dir + `/motd
    content: "hello from the pack\n"
    mode: "640"
    owner: root:root
  - path: ` + dir + `/sub/new.conf
    content: "x = 1\n"
  - path: ` + dir + `/hash-only
    sha256: "` + strings.Repeat("ab", 32) + `"
`))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.PackSource = func() map[string]*agentless.Pack { return map[string]*agentless.Pack{"apply-test": pack} }
	e.svc.SysctlDir = filepath.Join(dir, "sysctl.d")
	eng := hub.New(e.db, nil, hub.Options{})
	q := queue{eng, e.db}

	a, err := eng.CreatePackApply(ctx, "box", "apply-test", "admin")
	if err != nil || a.Status != homelabcmd.ActionPending || a.Command != "apply configuration pack apply-test" {
		t.Fatalf("create: %+v %v", a, err)
	}
	if _, err := eng.CreatePackApply(ctx, "box", "apply-test", "admin"); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
		t.Fatalf("second active apply: %v", err)
	}
	if _, err := eng.CreateAction(ctx, "box", homelabcmd.ActionApplyConfigPack, "", "admin"); homelabcmd.ErrorCode(err) != homelabcmd.EFORBIDDEN {
		t.Fatalf("through POST /actions: %v", err)
	}
	if n, err := e.svc.RunApprovedApplies(ctx, q); n != 0 || err != nil {
		t.Fatalf("ran before approval: %d %v", n, err)
	}
	if _, err := eng.ApproveAction(ctx, a.ID, "boss"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.RunApprovedApplies(ctx, q); n != 1 || err != nil {
		t.Fatalf("run: %d %v", n, err)
	}
	if n, err := e.svc.RunApprovedApplies(ctx, q); n != 0 || err != nil {
		t.Fatalf("ran twice: %d %v", n, err)
	}

	done, err := e.db.FindAction(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The hash-only file cannot be written (skipped, not failed).
	if done.Status != homelabcmd.ActionCompleted || done.Stdout == nil || !strings.Contains(*done.Stdout, "file "+dir+"/motd: applied") {
		t.Fatalf("action: %s %v %v", done.Status, done.Stdout, done.Stderr)
	}
	var trail []string
	for _, ev := range done.Events {
		trail = append(trail, ev.Actor+":"+ev.ToStatus)
	}
	if got := strings.Join(trail, " "); got != "admin:pending boss:approved hub:executing hub:completed" {
		t.Fatalf("audit trail: %s", got)
	}

	res, err := e.svc.ApplyResultOf(ctx, "box", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]string{}
	for _, it := range res.Items {
		results[it.Type+" "+strings.TrimPrefix(it.Name, dir)] = it.Result
	}
	want := map[string]string{"file /motd": "applied", "file /sub/new.conf": "applied", "file /hash-only": "skipped",
		"sysctl net.ipv4.ip_forward": "applied", "sysctl_file /sysctl.d/90-homelabcmd-apply-test.conf": "applied"}
	if pkgs != "" {
		want["package openssh-server"] = "unchanged"
	}
	if strings.Contains(pkgs, "telnetd") {
		want["package_absent telnetd"] = "unchanged"
	}
	for k, v := range want {
		if results[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, results[k], v, results)
		}
	}
	if !res.Success || res.Applied != 4 || res.Failed != 0 {
		t.Fatalf("result: success=%v applied=%d failed=%d", res.Success, res.Applied, res.Failed)
	}

	b, err := os.ReadFile(filepath.Join(dir, "motd"))
	st, _ := os.Stat(filepath.Join(dir, "motd"))
	if err != nil || string(b) != "hello from the pack\n" || st.Mode().Perm() != 0o640 {
		t.Fatalf("motd: %q %v %v", b, st.Mode(), err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub/new.conf")); string(b) != "x = 1\n" {
		t.Fatalf("new.conf: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sysctl.d/90-homelabcmd-apply-test.conf")); string(b) != "net.ipv4.ip_forward = "+forward+"\n" {
		t.Fatalf("sysctl file: %q", b)
	}
	if got := nsSysctl(t, "net.ipv4.ip_forward"); got != forward {
		t.Fatalf("sysctl in the namespace: %s, want %s", got, forward)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 { // motd, sub, sysctl.d, no staged leftovers
		t.Fatalf("leftovers in %s: %v", dir, entries)
	}
	// Compliance afterwards: only the hash-only file is still out of line.
	if res.Compliance == nil || res.Compliance.Mismatches != 1 {
		t.Fatalf("compliance after: %+v", res.Compliance)
	}
	if _, err := e.svc.ApplyResultOf(ctx, "other", a.ID); !homelabcmd.IsNotFound(err) {
		t.Fatalf("another server's apply: %v", err)
	}
}
