package config

import (
	"strings"
	"testing"
)

func TestParseChannels(t *testing.T) {
	good := `
- name: phone
  type: ntfy
  min_severity: high
  config: {server_url: "https://ntfy.example", topic: homelab, token: "tk_secret"}
- name: team
  type: slack
  send_resolved: false
  server_ids: [nas]
  alert_types: [offline, service]
  config:
    webhook_url: https://hooks.slack.example/T000/B000/XXX
`
	got, err := ParseChannels([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MinSeverity != "high" || got[0].Config["token"] != "tk_secret" || *got[1].SendResolved ||
		got[0].ServerIDs != nil || len(*got[1].ServerIDs) != 1 || len(*got[1].AlertTypes) != 2 {
		t.Fatalf("parsed %+v", got)
	}
	tests := []struct{ name, yaml, want string }{
		{"no name", "- type: ntfy\n  config: {url: x}\n", "name is required"},
		{"twice", "- {name: a, type: ntfy, config: {url: x}}\n- {name: a, type: ntfy, config: {url: x}}\n", "used twice"},
		{"no type", "- name: a\n  config: {url: x}\n", "type is required"},
		{"no config", "- name: a\n  type: ntfy\n", "config is required"},
		{"typo", "- name: a\n  typ: ntfy\n  config: {url: x}\n", "typ"},
		{"not a list", "name: a\n", "channels file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseChannels([]byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
