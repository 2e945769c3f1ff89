package agentcmd

import (
	"bytes"
	"context"
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
			var out, errOut bytes.Buffer
			err := Install(context.Background(), tt.prog, []string{"--hub", "https://hub.lan", "--server-id", "pi",
				"--api-token", "hlh_ag_tok", "--server-guid", "a1b2c3d4-e5f6-4890-abcd-ef1234567890", "--binary", "/usr/local/bin/x", "--print"}, &out, &errOut)
			if err != nil {
				t.Fatalf("%v %s", err, errOut.String())
			}
			if !strings.Contains(out.String(), tt.want+"\n") || !strings.Contains(out.String(), "api_token: hlh_ag_tok") {
				t.Fatalf("%s", out.String())
			}
		})
	}
}
