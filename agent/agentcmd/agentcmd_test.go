package agentcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "nas", "nas"},
		{"fqdn keeps the short name", "NAS-01.home.lan", "nas-01"},
		{"underscores and spaces", "my_mini PC", "my-mini-pc"},
		{"leading and trailing junk", "--Pi 4--", "pi-4"},
		{"nothing usable", "_._", "hub"},
		{"empty", "", "hub"},
		{"long", strings.Repeat("a", 150), strings.Repeat("a", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Slug(tt.in); got != tt.want {
				t.Fatalf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The unit runs the command the agent was installed with: the subcommand
// of the full binary, or the slim binary alone.
func TestInstallPrintExecLine(t *testing.T) {
	tests := []struct{ prog, want string }{
		{"homelabcmd agent", "ExecStart=/usr/local/bin/x agent --config /etc/homelab-agent/config.yaml"},
		{"homelabcmd-agent", "ExecStart=/usr/local/bin/x --config /etc/homelab-agent/config.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.prog, func(t *testing.T) {
			out := printInstall(t, tt.prog, "--binary", "/usr/local/bin/x")
			if !strings.Contains(out, tt.want+"\n") || !strings.Contains(out, "api_token: hlh_ag_tok") {
				t.Fatalf("%s", out)
			}
		})
	}
}

// `homelabcmd agent install` writes a unit that runs the slim agent when
// one is beside the full binary (a release installs both) or named with
// --binary, and the full binary's subcommand only when there is none.
func TestInstallPrefersTheSlimAgent(t *testing.T) {
	dir := t.TempDir()
	full, slim := filepath.Join(dir, "homelabcmd"), filepath.Join(dir, SlimName)
	if err := os.WriteFile(full, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(f func() (string, error)) { executable = f }(executable)
	executable = func() (string, error) { return full, nil }
	dir, _ = filepath.EvalSymlinks(dir) // Install resolves symlinks
	if out := printInstall(t, "homelabcmd agent"); !strings.Contains(out, "ExecStart="+filepath.Join(dir, "homelabcmd")+" agent --config ") {
		t.Fatalf("without a slim agent: %s", out)
	}
	if err := os.WriteFile(slim, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out := printInstall(t, "homelabcmd agent"); !strings.Contains(out, "ExecStart="+filepath.Join(dir, SlimName)+" --config ") {
		t.Fatalf("beside a slim agent: %s", out)
	}
	if out := printInstall(t, "homelabcmd agent", "--binary", "/opt/bin/homelabcmd-agent"); !strings.Contains(out, "ExecStart=/opt/bin/homelabcmd-agent --config ") {
		t.Fatalf("--binary naming the slim agent: %s", out)
	}
}

// printInstall runs `prog install --print` with a token and extra flags.
func printInstall(t *testing.T, prog string, extra ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Install(context.Background(), prog, append([]string{"--hub", "https://hub.lan", "--server-id", "pi",
		"--api-token", "hlh_ag_tok", "--server-guid", "a1b2c3d4-e5f6-4890-abcd-ef1234567890", "--print"}, extra...), &out, &errOut)
	if err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	return out.String()
}
