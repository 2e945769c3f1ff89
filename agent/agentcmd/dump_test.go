package agentcmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/agent"
	"github.com/homelabcmd/homelabcmd/config/option"
)

const dumpFile = "hub_url: http://hub.lan:8080\nserver_id: nas\napi_key: k-from-the-file\nmode: READWRITE\ncore_services: [plex]\n"

func TestDumpSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(file, []byte(dumpFile), 0o600)
	var out, errOut bytes.Buffer
	if err := Dump("homelabcmd agent", []string{"--json"}, []string{agent.EnvPrefix + "CONFIG=" + file,
		agent.EnvPrefix + "HEARTBEAT_INTERVAL=30s", agent.EnvPrefix + "MONITORED_SERVICES=plex,sonarr"}, &out, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	var d option.Dump
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value string
		source      option.Source
	}{
		{"outbox_max_bytes", "64MB", option.Default},
		{"log_level", "info", option.Default},
		{"api_token", option.Unset, option.Default},
		{"hub_url", "http://hub.lan:8080", option.File},
		{"mode", "readwrite", option.File},
		{"api_key", option.Masked, option.File},
		{"heartbeat_interval", "30s", option.Env},
		{"monitored_services", "plex,sonarr", option.Env},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := d.Entry(tt.name)
			if e == nil || e.Value != tt.value || e.Source != tt.source {
				t.Fatalf("%+v, want value %q from %s", e, tt.value, tt.source)
			}
		})
	}
	if d.ConfigFile != file || len(d.Notes) != 0 {
		t.Fatalf("file %q notes %q", d.ConfigFile, d.Notes)
	}
}

// Every secret key (aliases too), set in the file, the environment or a
// *_FILE, is masked in both formats.
func TestDumpMasksSecrets(t *testing.T) {
	dir := t.TempDir()
	base := "hub_url: http://hub.lan:8080\nserver_id: nas\nserver_guid: a1b2c3d4-e5f6-4890-abcd-ef1234567890\n"
	for _, e := range mustEntries(t) {
		if !e.Secret {
			continue
		}
		keys := []string{e.Name}
		if e.Name == "api_token" {
			keys = append(keys, "agent_token")
		}
		for _, key := range keys {
			value := "leak-" + key + "-0123456789"
			secretFile := filepath.Join(dir, key)
			os.WriteFile(secretFile, []byte(value+"\n"), 0o600)
			env := agent.EnvPrefix + strings.ToUpper(key)
			for via, setting := range map[string]struct{ file, env string }{
				"file":     {key + ": " + value + "\n", ""},
				"env":      {"", env + "=" + value},
				"env file": {"", env + "_FILE=" + secretFile},
			} {
				t.Run(key+" from "+via, func(t *testing.T) {
					config := filepath.Join(t.TempDir(), "config.yaml")
					os.WriteFile(config, []byte(base+setting.file), 0o600)
					for _, format := range []string{"--json=true", "--json=false"} {
						var out, errOut bytes.Buffer
						err := Dump("homelabcmd-agent", []string{"--config", config, format}, []string{setting.env}, &out, &errOut)
						if all := out.String() + errOut.String(); err != nil || strings.Contains(all, value) || !strings.Contains(all, option.Masked) {
							t.Fatalf("%s: err %v; secret shown or not masked:\n%s", format, err, all)
						}
					}
				})
			}
		}
	}
}

func mustEntries(t *testing.T) []option.Entry {
	t.Helper()
	_, set, err := agent.LoadConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return set.Entries()
}

// A missing file is a note; an invalid configuration is printed, then the error.
func TestDumpMissingFileAndInvalid(t *testing.T) {
	var out bytes.Buffer
	err := Run(t.Context(), "homelabcmd-agent", []string{"config", "dump", "--config", filepath.Join(t.TempDir(), "nope.yaml")},
		[]string{agent.EnvPrefix + "SERVER_ID=Bad_ID"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "server_id") || !strings.Contains(out.String(), "no config file at") ||
		!strings.Contains(out.String(), "Bad_ID") {
		t.Fatalf("err %v\n%s", err, out.String())
	}
}
