package agentless_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
	"github.com/homelabcmd/homelabcmd/hub"
)

func TestBuiltinPacks(t *testing.T) {
	packs := agentless.Packs()
	if packs["base"] == nil || packs["developer"] == nil {
		t.Fatalf("packs %v", packs)
	}
}

func TestParsePackRefuses(t *testing.T) {
	for name, yml := range map[string]string{
		"traversal":       "name: x\nfiles: [{path: /etc/../shadow}]\n",
		"relative path":   "name: x\nfiles: [{path: etc/passwd}]\n",
		"shell in path":   "name: x\nfiles: [{path: '/tmp/$(id)'}]\n",
		"package inject":  "name: x\npackages: {present: ['curl; reboot']}\n",
		"option package":  "name: x\npackages: {absent: ['--force']}\n",
		"unit inject":     "name: x\nunits: {enabled: ['ssh`id`']}\n",
		"sysctl value":    "name: x\nsysctl: {kernel.x: '$(id)'}\n",
		"sysctl key":      "name: x\nsysctl: {'-w': '1'}\n",
		"bad mode":        "name: x\nfiles: [{path: /etc/x, mode: '999'}]\n",
		"bad hash":        "name: x\nfiles: [{path: /etc/x, sha256: 'abc'}]\n",
		"unknown field":   "name: x\ncommands: [reboot]\n",
		"bad name":        "name: 'X Y'\n",
		"not yaml at all": "{{{",
	} {
		if _, err := agentless.ParsePack([]byte(yml)); !homelabcmd.IsInvalid(err) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

// TestConfigCheck checks the namespace's host against a pack whose
// expected state the test knows, then the built-in assignment rules.
func TestConfigCheck(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.server(t, "box")
	if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "motd")
	if err := os.WriteFile(file, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pack, err := agentless.ParsePack([]byte(fmt.Sprintf(`name: test
packages:
  present: [openssh-server, no-such-package-hlt]
  absent: [no-such-package-hlt2, openssh-server]
sysctl:
  kernel.ostype: Linux
  kernel.osrelease: "0.0"
files:
  - {path: %[1]s, content: "hello\n", mode: "600"}
  - {path: %[1]s, content: "bye\n"}
  - {path: %[1]s, mode: "644"}
  - {path: /no-such-file-hlt}
`, file)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.CheckPacks(ctx, "admin", "box", []*agentless.Pack{pack})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"package openssh-server": true, "package no-such-package-hlt": false,
		"package_absent no-such-package-hlt2": true, "package_absent openssh-server": false,
		"sysctl kernel.ostype": true, "sysctl kernel.osrelease": false,
		"file /no-such-file-hlt": false,
	}
	files := []bool{}
	for _, it := range c.Items {
		if it.Type == "file" && it.Name == file {
			files = append(files, it.Compliant)
			continue
		}
		ok, known := want[it.Type+" "+it.Name]
		if !known || ok != it.Compliant {
			t.Errorf("%+v", it)
		}
		delete(want, it.Type+" "+it.Name)
	}
	if len(want) != 0 || fmt.Sprint(files) != "[true false false]" {
		t.Fatalf("missing %v; files %v; items %+v", want, files, c.Items)
	}
	if c.Compliant || c.Mismatches != 6 {
		t.Fatalf("summary %v %d", c.Compliant, c.Mismatches)
	}
	last, err := e.svc.LastCheck(ctx, "box")
	if err != nil || last.Mismatches != 6 {
		t.Fatalf("last %+v %v", last, err)
	}
	if hist, err := e.svc.Checks(ctx, "box", 10); err != nil || len(hist) != 1 || hist[0].ID != c.ID || len(hist[0].Items) != len(c.Items) {
		t.Fatalf("history %+v %v", hist, err)
	}
	rows, err := e.svc.Compliance(ctx)
	if err != nil || len(rows) != 1 || rows[0]["status"] != "non_compliant" {
		t.Fatalf("compliance %v %v", rows, err)
	}

	for _, tt := range []struct {
		packs []string
		code  string
	}{{[]string{"developer"}, "BASE_PACK_REQUIRED"}, {[]string{"base", "nope"}, "UNKNOWN_PACK"}} {
		if _, err := e.svc.SetServerPacks(ctx, "admin", "box", tt.packs, nil); !isCode(err, tt.code) {
			t.Errorf("%v: %v", tt.packs, err)
		}
	}
	got, err := e.svc.SetServerPacks(ctx, "admin", "box", []string{"developer", "base", "base"}, nil)
	if err != nil || fmt.Sprint(got) != "[base developer]" {
		t.Fatalf("%v %v", got, err)
	}
	if c, err := e.svc.CheckServer(ctx, "admin", "box"); err != nil || len(c.Items) == 0 || fmt.Sprint(c.Packs) != "[base developer]" {
		t.Fatalf("built-in packs: %+v %v", c, err)
	}

	// Drift alerts: none while detection is off (the default), then opened
	// by a non-compliant check and resolved by a compliant one.
	e.svc.Drift = hub.New(e.db, nil, hub.Options{})
	drift := func() []*homelabcmd.Alert {
		list, _, err := e.db.ListAlerts(ctx, homelabcmd.AlertFilter{ServerID: "box", AlertType: homelabcmd.AlertDrift, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if _, err := e.svc.CheckPacks(ctx, "admin", "box", []*agentless.Pack{pack}); err != nil || len(drift()) != 0 {
		t.Fatalf("drift alert while detection is off: %v %v", drift(), err)
	}
	on := true
	if _, err := e.svc.SetServerPacks(ctx, "admin", "box", nil, &on); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CheckPacks(ctx, "admin", "box", []*agentless.Pack{pack}); err != nil {
		t.Fatal(err)
	}
	if a := drift(); len(a) != 1 || a[0].Status != homelabcmd.AlertOpen || a[0].Severity != homelabcmd.SeverityMedium ||
		a[0].Title != "box drifted from its configuration packs" || !strings.Contains(*a[0].Message, "6 items") {
		t.Fatalf("drift alert %+v", a)
	}
	ok, _ := agentless.ParsePack([]byte("name: ok\nsysctl: {kernel.ostype: Linux}\n"))
	if _, err := e.svc.CheckPacks(ctx, "admin", "box", []*agentless.Pack{ok}); err != nil {
		t.Fatal(err)
	}
	if a := drift(); len(a) != 1 || a[0].Status != homelabcmd.AlertResolved {
		t.Fatalf("drift alert after a compliant check %+v", a)
	}
	if n := e.svc.CheckDrift(ctx); n != 1 {
		t.Fatalf("scheduled drift check checked %d servers", n)
	}
}
