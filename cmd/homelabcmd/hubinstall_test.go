package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hub install writes (or prints) a hardened unit with a state folder and an
// absolute database path, and never overwrites one unasked.
func TestHubInstall(t *testing.T) {
	unitPath := filepath.Join(t.TempDir(), "etc", "homelabcmd.service")
	var out, errOut bytes.Buffer
	args := []string{"hub", "install", "--unit", unitPath, "--binary", "/usr/local/bin/homelabcmd"}
	if code := run(context.Background(), args, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ExecStart=/usr/local/bin/homelabcmd serve\n",
		"StateDirectory=homelabcmd\n",
		"WorkingDirectory=/var/lib/homelabcmd\n",
		"Environment=HOMELAB_CMD_DATABASE_URL=sqlite:////var/lib/homelabcmd/homelab.db\n",
		"DynamicUser=yes\n", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n", "CapabilityBoundingSet=\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if !strings.Contains(out.String(), "systemctl enable --now homelabcmd.service") {
		t.Errorf("no next step printed: %s", out.String())
	}

	out.Reset()
	if code := run(context.Background(), args, nil, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "--force") {
		t.Fatalf("overwrote an existing unit: %d %s", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"hub", "install", "--print", "--binary", "/opt/hl/homelabcmd"}, nil, &out, &errOut); code != 0 ||
		!strings.HasPrefix(out.String(), "# homelabcmd hub") || !strings.Contains(out.String(), "ExecStart=/opt/hl/homelabcmd serve") {
		t.Fatalf("--print: %d\n%s", code, out.String())
	}
	// systemd itself accepts the unit, where systemd-analyze is installed.
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		verify := filepath.Join(t.TempDir(), "homelabcmd.service")
		unit := strings.ReplaceAll(out.String(), "/opt/hl/homelabcmd", "/bin/true")
		os.WriteFile(verify, []byte(unit), 0o644)
		if b, err := exec.Command(sa, "verify", verify).CombinedOutput(); err != nil || len(b) > 0 {
			t.Fatalf("systemd-analyze verify: %v\n%s", err, b)
		}
	}
	if code := run(context.Background(), []string{"hub", "install", "--print", "--binary", "relative/homelabcmd"}, nil, &out, &errOut); code == 0 {
		t.Fatal("a relative --binary was accepted")
	}
}
