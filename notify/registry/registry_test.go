package registry_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

var valid = map[string]string{
	"slack":    `{"webhook_url":"https://hooks.slack.com/services/T/B/SECRET1"}`,
	"discord":  `{"webhook_url":"https://discord.com/api/webhooks/1/SECRET2"}`,
	"ntfy":     `{"topic":"lab","token":"SECRET3"}`,
	"gotify":   `{"server_url":"https://gotify.lan","token":"SECRET4"}`,
	"email":    `{"host":"mail.lan","username":"u","password":"SECRET5","from":"a@b.c","to":["d@e.f"]}`,
	"webhook":  `{"url":"https://hook.lan/x","secret":"SECRET6-0123456789"}`,
	"telegram": `{"bot_token":"123:SECRET7","chat_id":"-100123"}`,
	"pushover": `{"token":"SECRET8a","user_key":"SECRET8b"}`,
	"matrix":   `{"homeserver_url":"https://matrix.lan","access_token":"SECRET9","room_id":"!r:matrix.lan"}`,
	"mqtt":     `{"url":"mqtt://broker.lan","username":"hub","password":"SECRET10","topic":"homelab/alerts"}`,
}

func TestEveryKindBuildsAndRedacts(t *testing.T) {
	if got := strings.Join(registry.Kinds(), ","); got != "discord,email,gotify,matrix,mqtt,ntfy,pushover,slack,telegram,webhook" {
		t.Fatalf("kinds = %s", got)
	}
	for _, kind := range registry.Kinds() {
		t.Run(kind, func(t *testing.T) {
			raw := json.RawMessage(valid[kind])
			if _, err := registry.Build(kind, raw, nil, nil); err != nil {
				t.Fatal(err)
			}
			red, err := registry.Redact(kind, raw)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(red), "SECRET") || !strings.Contains(string(red), notify.Mask) {
				t.Errorf("redacted = %s", red)
			}
			// Sending the redacted config back keeps the stored secrets.
			kept, err := registry.KeepSecrets(kind, red, raw)
			if err != nil {
				t.Fatal(err)
			}
			if s := registry.Secrets(kind, kept); len(s) == 0 || !strings.Contains(strings.Join(s, " "), "SECRET") {
				t.Errorf("kept secrets = %q from %s", s, kept)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ kind, raw string }{
		{"pager", `{}`}, {"slack", `{"webhook_url":"https://x/y","extra":1}`}, {"slack", `{}`}, {"email", `[1]`},
	} {
		_, err := registry.Parse(c.kind, json.RawMessage(c.raw))
		if !homelabcmd.IsInvalid(err) {
			t.Errorf("Parse(%s, %s) = %v, want EINVALID", c.kind, c.raw, err)
		}
	}
}
