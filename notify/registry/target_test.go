package registry_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// Finding 7: a masked secret (********) was kept when the channel's URL
// changed, so the stored token went to the new host.
func TestMaskedSecretNeedsTheSameTarget(t *testing.T) {
	for _, tc := range []struct {
		kind, old, upd string
		keep           bool
	}{
		{"ntfy", `{"server_url":"https://ntfy.example.org","topic":"t","token":"tk_secret_0123456789"}`,
			`{"server_url":"https://ntfy.example.org/","topic":"other","token":"********"}`, true},
		{"ntfy", `{"server_url":"https://ntfy.example.org","topic":"t","token":"tk_secret_0123456789"}`,
			`{"server_url":"https://attacker.example.net","topic":"t","token":"********"}`, false},
		{"gotify", `{"server_url":"https://gotify.example.org","token":"AbCdEf0123456789"}`,
			`{"server_url":"https://gotify.example.org:8443","token":"********"}`, false},
		{"webhook", `{"url":"https://hooks.example.org/a","secret":"0123456789abcdef"}`,
			`{"url":"https://evil.example.net/collect","secret":"********"}`, false},
		{"webhook", `{"url":"https://hooks.example.org/a","secret":"0123456789abcdef"}`,
			`{"url":"********","secret":"********"}`, true},
		{"email", `{"host":"smtp.example.org","username":"u","password":"pw-0123456789","from":"a@example.org","to":["b@example.org"]}`,
			`{"host":"smtp.evil.example.net","username":"u","password":"********","from":"a@example.org","to":["b@example.org"]}`, false},
		// A new secret with a new host is fine.
		{"ntfy", `{"server_url":"https://ntfy.example.org","topic":"t","token":"tk_secret_0123456789"}`,
			`{"server_url":"https://ntfy.other.org","topic":"t","token":"tk_new_secret_012345"}`, true},
	} {
		got, err := registry.KeepSecrets(tc.kind, json.RawMessage(tc.upd), json.RawMessage(tc.old))
		if tc.keep {
			if err != nil {
				t.Errorf("%s %s: %v", tc.kind, tc.upd, err)
			}
			continue
		}
		if err == nil || homelabcmd.ErrorCode(err) != homelabcmd.EINVALID || !strings.Contains(err.Error(), "send the secret again") {
			t.Errorf("%s %s: kept the secret for a new target: %s %v", tc.kind, tc.upd, got, err)
		}
		if err != nil && (strings.Contains(err.Error(), "tk_secret") || strings.Contains(err.Error(), "0123456789abcdef") || strings.Contains(err.Error(), "pw-0123")) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// Finding 7: link-local and loopback targets were accepted.
func TestCheckTargetRefusesPrivateAddresses(t *testing.T) {
	for _, tc := range []struct{ kind, cfg string }{
		{"webhook", `{"url":"http://169.254.169.254/latest/meta-data","secret":"0123456789abcdef"}`},
		{"ntfy", `{"server_url":"http://127.0.0.1:8080","topic":"t"}`},
		{"gotify", `{"server_url":"http://[::1]","token":"AbCdEf0123456789"}`},
		{"slack", `{"webhook_url":"http://localhost/hooks/x"}`},
		{"email", `{"host":"10.0.0.5","from":"a@example.org","to":["b@example.org"],"tls":"none"}`},
	} {
		if err := registry.CheckTarget(tc.kind, json.RawMessage(tc.cfg), nil); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
			t.Errorf("%s %s: %v, want EINVALID", tc.kind, tc.cfg, err)
		}
		if err := registry.CheckTarget(tc.kind, json.RawMessage(tc.cfg), notify.NewGuard(true)); err != nil {
			t.Errorf("%s with notify_allow_private: %v", tc.kind, err)
		}
	}
	if err := registry.CheckTarget("ntfy", json.RawMessage(`{"topic":"t"}`), nil); err != nil {
		t.Errorf("ntfy.sh refused: %v", err)
	}
}
