package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadHubPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(file, []byte("port: 9000\nhost: 127.0.0.1\nlog_level: debug\noffline_timeout: 5m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      []string
		wantPort int
		wantLvl  string
	}{
		{"defaults", nil, nil, 8080, "info"},
		{"file", []string{"--config", file}, nil, 9000, "debug"},
		{"env beats file", []string{"--config", file}, []string{"HOMELAB_CMD_PORT=9100"}, 9100, "debug"},
		{"flag beats env", []string{"--config", file, "--port", "9200"}, []string{"HOMELAB_CMD_PORT=9100"}, 9200, "debug"},
		{"config from env", nil, []string{"HOMELAB_CMD_CONFIG=" + file}, 9000, "debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadHub(tt.args, tt.env, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.Port != tt.wantPort || c.LogLevel != tt.wantLvl {
				t.Fatalf("port %d level %s, want %d %s", c.Port, c.LogLevel, tt.wantPort, tt.wantLvl)
			}
		})
	}
	c, _ := LoadHub([]string{"--config", file}, nil, io.Discard)
	if c.OfflineTimeout != 5*time.Minute || c.DatabaseURL != "sqlite:///./data/homelab.db" || !c.LocalAgent {
		t.Fatalf("file values: %+v", c)
	}
}

func TestLoadHubErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	n := 0
	write := func(body string) string {
		n++
		p := filepath.Join(dir, "c"+strings.Repeat("x", n)+".yaml")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	secret := filepath.Join(dir, "key")
	os.WriteFile(secret, []byte("from-a-file-0123456789\n"), 0o600)
	c, err := LoadHub(nil, []string{"HOMELAB_CMD_API_KEY_FILE=" + secret}, io.Discard)
	if err != nil || c.APIKey != "from-a-file-0123456789" {
		t.Fatalf("_FILE secret: %v %q", err, c.APIKey)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown key", []string{"--config", write("prot: 1\n")}, nil, `unknown key "prot"`},
		{"bad yaml", []string{"--config", write("port: [\n")}, nil, "config file"},
		{"bad port in env", nil, []string{"HOMELAB_CMD_PORT=eighty"}, "HOMELAB_CMD_PORT"},
		{"port range", []string{"--port", "70000"}, nil, "port"},
		{"log level", nil, []string{"HOMELAB_CMD_LOG_LEVEL=loud"}, "log_level"},
		{"short key", nil, []string{"HOMELAB_CMD_API_KEY=short"}, "api_key"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, nil, "config file"},
		{"nested value", []string{"--config", write("host:\n  a: b\n")}, nil, "host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadHub(tt.args, tt.env, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCORSOriginsOption(t *testing.T) {
	var got []string
	v := origins{&got}
	if err := v.Set(" https://dash.example.lan , http://10.0.0.5:8080/ "); err != nil || strings.Join(got, " ") != "https://dash.example.lan http://10.0.0.5:8080" {
		t.Fatalf("parsed %v, %v", got, err)
	}
	for _, bad := range []string{"dash.example.lan", "ftp://x", "https://x/path", "*"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// retention_history follows a longer retention_raw unless it is set
// itself: a config from before it existed keeps its whole history.
func TestRetentionHistoryFollowsALongerRaw(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     []string
		want    time.Duration
		wantErr bool
	}{
		{"defaults", nil, 720 * time.Hour, false},
		{"raw longer than the default history", []string{"HOMELAB_CMD_RETENTION_RAW=2160h"}, 2160 * time.Hour, false},
		{"history set shorter than raw", []string{"HOMELAB_CMD_RETENTION_RAW=2160h", "HOMELAB_CMD_RETENTION_HISTORY=720h"}, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadHub(nil, tt.env, io.Discard)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "retention_history") {
					t.Fatalf("err = %v, want one naming retention_history", err)
				}
				return
			}
			if err != nil || c.RetentionHistory != tt.want {
				t.Fatalf("retention_history %v (%v), want %v", c.RetentionHistory, err, tt.want)
			}
		})
	}
}
