package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// hubCommand runs `homelabcmd args…` in dir and returns its combined
// output and exit error.
func hubCommand(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// keyStatus is the status of an operator-key request with key.
func keyStatus(t *testing.T, url, key string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/servers", nil)
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var bannerKey = regexp.MustCompile(`API key:\s+(hlh_key_\S+)`)

// Commands other than serve and migrate up, run in the wrong folder, refuse
// the missing database by its absolute path and create nothing.
func TestNothingCreatedByAccident(t *testing.T) {
	t.Parallel()
	hubDir, elsewhere := t.TempDir(), t.TempDir()
	if out, err := hubCommand(t, hubDir, nil, "migrate", "up"); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	backup := filepath.Join(t.TempDir(), "nightly.db")
	tests := []struct {
		name string
		args []string
	}{
		{"backup", []string{"backup", "--to", backup}},
		{"migrate status", []string{"migrate", "status"}},
		{"migrate down", []string{"migrate", "down"}},
		{"config dump", []string{"config", "dump"}},
		{"key reset", []string{"key", "reset"}},
		{"user list", []string{"user", "list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := hubCommand(t, elsewhere, nil, tt.args...)
			want := "no database at " + filepath.Join(elsewhere, "data", "homelab.db")
			if err == nil || !strings.Contains(out, want) || !strings.Contains(out, "--database-url") {
				t.Fatalf("err %v, want a refusal naming %s:\n%s", err, want, out)
			}
			if _, err := os.Stat(filepath.Join(elsewhere, "data")); !os.IsNotExist(err) {
				t.Fatalf("%s created %s/data", tt.name, elsewhere)
			}
		})
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Fatal("a backup of nothing was written")
	}
	// In the hub's folder the same backup works.
	if out, err := hubCommand(t, hubDir, nil, "backup", "--to", backup); err != nil || !strings.Contains(out, "backup written") {
		t.Fatalf("backup in the hub's folder: %v\n%s", err, out)
	}
}

// A first start that fails on a busy port stores no key; the next start
// generates one and prints it.
func TestBusyPortDoesNotLoseTheKey(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	env := []string{"HOMELAB_CMD_LOCAL_AGENT=false"}
	port := busy.Addr().(*net.TCPAddr).Port
	out, err := hubCommand(t, dir, env, "serve", "--host", "127.0.0.1", "--port", fmt.Sprint(port))
	if err == nil || !strings.Contains(out, "listen on") || strings.Contains(out, "hlh_key_") {
		t.Fatalf("start on a busy port: %v\n%s", err, out)
	}
	h := StartHub(t, dir, env)
	m := h.WaitOutput(bannerKey)
	if m == nil {
		t.Fatalf("the second start printed no key:\n%s", h.Output())
	}
	key := m[1]
	if code := keyStatus(t, h.URL, key); code != 200 {
		t.Fatalf("printed key: %d", code)
	}
}

// key reset prints a new key and the old one stops working, with the hub
// running (within a second or so) and with it stopped.
func TestKeyReset(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := []string{"HOMELAB_CMD_LOCAL_AGENT=false"}
	port := freePort(t)
	h := startHubOnPort(t, dir, env, port)
	m := h.WaitOutput(bannerKey)
	if m == nil || keyStatus(t, h.URL, m[1]) != 200 {
		t.Fatalf("no working key printed:\n%s", h.Output())
	}
	old := m[1]
	reset := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "key", "reset")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		key := strings.TrimSpace(string(out))
		if err != nil || !strings.HasPrefix(key, "hlh_key_") {
			t.Fatalf("key reset: %v %q", err, out)
		}
		return key
	}
	running := reset()
	deadline := time.Now().Add(10 * time.Second)
	for keyStatus(t, h.URL, old) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the old key still works after key reset")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := keyStatus(t, h.URL, running); code != 200 {
		t.Fatalf("new key on the running hub: %d", code)
	}

	h.Stop(t)
	stopped := reset()
	h = startHubOnPort(t, dir, env, port)
	if keyStatus(t, h.URL, stopped) != 200 || keyStatus(t, h.URL, running) != 401 {
		t.Fatal("after a reset with the hub stopped, the new key must work and the previous one not")
	}

	out, err := hubCommand(t, dir, []string{"HOMELAB_CMD_API_KEY=configured-key-0123456789"}, "key", "reset")
	if err == nil || !strings.Contains(out, "change it there") {
		t.Fatalf("reset of a configured key: %v\n%s", err, out)
	}
}

// --version on the hub binary and its agent command; the health check and
// the dashboard carry the same version.
func TestVersions(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"version"}, {"agent", "--version"}} {
		out, err := hubCommand(t, t.TempDir(), nil, args...)
		if err != nil || !strings.Contains(out, " "+homelabcmd.Version+" ") {
			t.Fatalf("%v: %v %q", args, err, out)
		}
	}
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	var health struct {
		Version string `json:"version"`
	}
	if code := api(t, "GET", h.URL+"/api/v1/system/health", "", &health); code != 200 || health.Version != homelabcmd.Version {
		t.Fatalf("health: %d %+v", code, health)
	}
	resp, err := http.Get(h.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), ">"+homelabcmd.Version+"</span></footer>") {
		t.Fatal("the dashboard footer lacks the version")
	}
}

// `homelabcmd health` exits 0 against a running hub (reading the port as
// serve does) and non-zero when nothing answers.
func TestHealthCommand(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	h := startHubOnPort(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey}, port)
	if out, err := hubCommand(t, t.TempDir(), []string{fmt.Sprintf("HOMELAB_CMD_PORT=%d", port)}, "health"); err != nil || !strings.Contains(out, "healthy") {
		t.Fatalf("health: %v %s", err, out)
	}
	h.Stop(t)
	if out, err := hubCommand(t, t.TempDir(), nil, "health", "--url", h.URL); err == nil {
		t.Fatalf("health of a stopped hub succeeded: %s", out)
	}
}
