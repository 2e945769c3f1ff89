// Package e2e starts the real homelabcmd binary and drives it over HTTP.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// binary is the homelabcmd binary built once for all tests.
var binary string

func TestMain(m *testing.M) {
	// The parallel e2e tests mostly wait (windows, timeouts, leases), not
	// compute: let four overlap instead of GOMAXPROCS (2 on CI), unless
	// -parallel is given.
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == strconv.Itoa(runtime.GOMAXPROCS(0)) && runtime.GOMAXPROCS(0) < 4 {
		_ = flag.Set("test.parallel", "4")
	}
	// HOMELABCMD_E2E_BIN runs the tests against a binary built elsewhere
	// (e.g. an older version, to measure a regression test's "before").
	if bin := os.Getenv("HOMELABCMD_E2E_BIN"); bin != "" {
		binary = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "homelabcmd-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "homelabcmd")
	build := exec.Command("go", "build", "-o", binary, "../cmd/homelabcmd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build homelabcmd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running child process whose output (stdout and stderr) is
// collected line by line.
type process struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	output strings.Builder
	done   chan struct{}
}

// Output is everything the process printed so far.
func (p *process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// startProcess starts cmd, collecting its output; done closes when it exits.
func startProcess(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.output.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(p.done) }()
	return p
}

// Hub is a running hub process.
type Hub struct {
	*process
	URL string
	Dir string
}

// StartHub runs `homelabcmd serve` in dir with extra args and environment,
// on a free port, and waits until it answers the health check.
func StartHub(t *testing.T, dir string, env []string, args ...string) *Hub {
	t.Helper()
	return startHubOnPort(t, dir, env, freePort(t), args...)
}

// startHubOnPort is StartHub on a given port, so that an agent configured
// with the hub's URL finds it again after a restart.
func startHubOnPort(t *testing.T, dir string, env []string, port int, args ...string) *Hub {
	t.Helper()
	return startHubAt(t, dir, env, "127.0.0.1", port, args...)
}

// startHubAt is StartHub listening on host:port (e.g. the host side of a
// test namespace's veth pair, for agents inside the namespace).
func startHubAt(t *testing.T, dir string, env []string, host string, port int, args ...string) *Hub {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--host", host, "--port", fmt.Sprint(port)}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	h := &Hub{process: startProcess(t, cmd), URL: "http://" + net.JoinHostPort(host, fmt.Sprint(port)), Dir: dir}
	t.Cleanup(func() { h.Stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-h.done:
			t.Fatalf("hub exited early:\n%s", h.Output())
		default:
		}
		if resp, err := http.Get(h.URL + "/api/v1/system/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return h
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("hub did not answer within 30s:\n%s", h.Output())
	return nil
}

// WaitOutput waits up to 10 s for re to match the hub's output (which
// reaches the test through pipes, after the hub may already answer) and
// returns the match; nil if it never does.
func (h *Hub) WaitOutput(re *regexp.Regexp) []string {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(h.Output()); m != nil {
			return m
		}
	}
	return nil
}

// Stop sends SIGTERM and waits for a graceful exit.
func (h *Hub) Stop(t *testing.T) {
	select {
	case <-h.done:
		return
	default:
	}
	_ = h.cmd.Process.Signal(os.Interrupt)
	select {
	case <-h.done:
	case <-time.After(15 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
		t.Errorf("hub did not stop within 15s of SIGINT")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
	return resp.StatusCode
}

// A fresh folder with no configuration: serve creates ./data/homelab.db,
// migrates, answers the health check and stops cleanly on SIGINT.
func TestServeOnFreshMachine(t *testing.T) {
	dir := t.TempDir()
	h := StartHub(t, dir, []string{"HOMELAB_CMD_LOCAL_AGENT=false"})
	var health map[string]any
	if code := getJSON(t, h.URL+"/api/v1/system/health", &health); code != 200 {
		t.Fatalf("health status %d", code)
	}
	if health["status"] != "healthy" || health["database_engine"] != "sqlite" || health["schema_version"] == nil {
		t.Fatalf("health %v", health)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "homelab.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	h.Stop(t)
	if !regexp.MustCompile(`shutting down`).MatchString(h.Output()) {
		t.Errorf("no graceful shutdown in output:\n%s", h.Output())
	}
}

// The same binary on PostgreSQL, selected by HOMELAB_CMD_DATABASE_URL.
func TestServeOnPostgres(t *testing.T) {
	dbURL := storetest.NewURL(t, "postgres")
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_DATABASE_URL=" + dbURL, "HOMELAB_CMD_LOCAL_AGENT=false"})
	var health map[string]any
	getJSON(t, h.URL+"/api/v1/system/health", &health)
	if health["database_engine"] != "postgres" || health["database"] != "connected" {
		t.Fatalf("health %v", health)
	}
}

// migrate status lists the chain; a bad URL is refused with a message.
func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command(binary, "migrate", "--database-url", "sqlite:///"+dir+"/m.db", "up-to", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("up-to 2: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "migrate", "--database-url", "sqlite:///"+dir+"/m.db", "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "00003_service_tables.sql") || !strings.Contains(string(out), "at version 2 of") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "migrate", "--database-url", "sqlite://", "status").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "names no file") && !strings.Contains(string(out), "three slashes") {
		t.Fatalf("bad URL accepted: %v\n%s", err, out)
	}
}

// The API end to end through the built binary: a generated key printed once,
// then an agent heartbeat, an expected service and its live status.
func TestHubAPIEndToEnd(t *testing.T) {
	dir := t.TempDir()
	h := StartHub(t, dir, []string{"HOMELAB_CMD_LOCAL_AGENT=false"})
	m := h.WaitOutput(regexp.MustCompile(`API key:\s+(hlh_key_[0-9a-f]{64})`))
	if m == nil {
		t.Fatalf("no generated API key in the output:\n%s", h.Output())
	}
	key := m[1]
	post := func(path, body string, wantStatus int) string {
		t.Helper()
		req, _ := http.NewRequest("POST", h.URL+path, strings.NewReader(body))
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantStatus {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	post("/api/v1/servers", `{"id":"nas","hostname":"nas.lan"}`, 201)
	post("/api/v1/servers/nas/services", `{"service_name":"plex","is_critical":true}`, 201)
	out := post("/api/v1/agents/heartbeat", `{"server_id":"nas","hostname":"nas.lan","timestamp":"`+time.Now().UTC().Format(time.RFC3339)+`",
		"services":[{"name":"plex","status":"failed","pid":null}]}`, 200)
	if !strings.Contains(out, `"expected_services":["plex"]`) {
		t.Fatalf("heartbeat response %s", out)
	}
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/servers/nas/services", nil)
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Services []struct {
			ServiceName   string `json:"service_name"`
			CurrentStatus *struct {
				Status string `json:"status"`
			} `json:"current_status"`
		} `json:"services"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Services) != 1 || list.Services[0].CurrentStatus == nil || list.Services[0].CurrentStatus.Status != "failed" {
		t.Fatalf("services %+v", list)
	}
	// A restart keeps the key (stored hashed) and does not print it again.
	h.Stop(t)
	h2 := StartHub(t, dir, []string{"HOMELAB_CMD_LOCAL_AGENT=false"})
	if strings.Contains(h2.Output(), key) {
		t.Fatal("the stored key was printed again")
	}
	req, _ = http.NewRequest("GET", h2.URL+"/api/v1/servers", nil)
	req.Header.Set("X-API-Key", key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("key after restart: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}
