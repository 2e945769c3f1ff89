package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

// oldAgentVersion is the version stamped into the "old" agent.
const oldAgentVersion = "0.0.9-e2e-old"

// buildAgentVersion builds the slim agent with version stamped in, as
// scripts/release does.
func buildAgentVersion(t *testing.T, out, version string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/homelabcmd/homelabcmd.Version="+version, "-o", out, "../cmd/homelabcmd-agent")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build agent %s: %v\n%s", version, err, b)
	}
}

// hubVersion is what the hub reports as its version.
func hubVersion(t *testing.T, hubURL string) string {
	var health struct {
		Version string `json:"version"`
	}
	if code := api(t, "GET", hubURL+"/api/v1/system/health", "", &health); code != 200 || health.Version == "" {
		t.Fatalf("health: %d %+v", code, health)
	}
	return health.Version
}

// supervisor stands in for systemd's Restart=always: it runs exe with the
// config and restarts it whenever it exits, until the test ends. env picks
// extra environment for each start from the binary then in place.
type supervisor struct {
	mu     sync.Mutex
	output strings.Builder
	starts int
	exits  []string
	stop   chan struct{}
	done   chan struct{}
}

func supervise(t *testing.T, exe, config string, env func(bin []byte) []string) *supervisor {
	t.Helper()
	s := &supervisor{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			bin, _ := os.ReadFile(exe)
			cmd := exec.Command(exe, "--config", config, "-v")
			cmd.Env = append(os.Environ(), env(bin)...)
			cmd.Stdout, cmd.Stderr = s, s
			s.mu.Lock()
			s.starts++
			s.mu.Unlock()
			if err := cmd.Start(); err != nil {
				s.mu.Lock()
				s.output.WriteString("start: " + err.Error() + "\n")
				s.mu.Unlock()
				return
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var err error
			stopping := false
			select {
			case err = <-exited:
			case <-s.stop:
				cmd.Process.Signal(os.Interrupt)
				select {
				case err = <-exited:
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					err = <-exited
				}
				stopping = true
			}
			s.mu.Lock()
			s.exits = append(s.exits, fmt.Sprint(err))
			s.output.WriteString(fmt.Sprintf("--- exited: %v\n", err))
			s.mu.Unlock()
			if stopping {
				return
			}
			select {
			case <-s.stop:
				return
			case <-time.After(200 * time.Millisecond): // RestartSec
			}
		}
	}()
	t.Cleanup(func() {
		close(s.stop)
		<-s.done
		if t.Failed() {
			t.Logf("supervised agent output:\n%s", s.Output())
		}
	})
	return s
}

// Write collects the agents' output as it comes.
func (s *supervisor) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.output.Write(p)
}

func (s *supervisor) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.output.String()
}

func (s *supervisor) Exits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.exits)
}

type upgradeAction struct {
	ID            int64   `json:"id"`
	Status        string  `json:"status"`
	Verified      *bool   `json:"verified"`
	FailureReason *string `json:"failure_reason"`
	Stdout        *string `json:"stdout"`
	Stderr        *string `json:"stderr"`
	Command       string  `json:"command"`
	Events        []struct {
		Actor    string  `json:"actor"`
		ToStatus string  `json:"to_status"`
		Detail   *string `json:"detail"`
	} `json:"events"`
}

type serverVersion struct {
	AgentVersion  *string `json:"agent_version"`
	AgentOutdated bool    `json:"agent_outdated"`
	LastSeen      *string `json:"last_seen"`
}

// waitFor polls cond every 100 ms until it holds; the deadline only
// prevents a hang.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within %v", what, timeout)
}

// upgradeSetup builds an old and a new agent (the new one the hub's
// version), starts a hub serving served (nil: the new agent) from its
// agents_dir, and runs the old agent under the supervisor. It returns the
// hub, the supervised executable and the two binaries.
type upgradeEnv struct {
	hub      *Hub
	exe      string
	old, new []byte
	sup      *supervisor
}

var agentBuilds struct {
	once     sync.Once
	dir      string
	old, new []byte
	err      error
}

func setupUpgrade(t *testing.T, served func(old, new []byte) []byte, env func(bin, old, new []byte) []string) *upgradeEnv {
	t.Helper()
	agentsDir := t.TempDir()
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey, "HOMELAB_CMD_AGENTS_DIR=" + agentsDir})
	version := hubVersion(t, h.URL)
	agentBuilds.once.Do(func() {
		// Next to the test binary, which TestMain removes at the end.
		dir := filepath.Join(filepath.Dir(binary), "upgrade-agents")
		if os.Getenv("HOMELABCMD_E2E_BIN") != "" {
			dir = filepath.Join(os.TempDir(), fmt.Sprintf("homelabcmd-upgrade-%d", os.Getpid()))
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			agentBuilds.err = err
			return
		}
		agentBuilds.dir = dir
		buildAgentVersion(t, filepath.Join(dir, "old"), oldAgentVersion)
		buildAgentVersion(t, filepath.Join(dir, "new"), version)
		agentBuilds.old, agentBuilds.err = os.ReadFile(filepath.Join(dir, "old"))
		if agentBuilds.err == nil {
			agentBuilds.new, agentBuilds.err = os.ReadFile(filepath.Join(dir, "new"))
		}
	})
	if agentBuilds.err != nil || agentBuilds.new == nil {
		t.Fatalf("agent builds: %v", agentBuilds.err)
	}
	e := &upgradeEnv{hub: h, old: agentBuilds.old, new: agentBuilds.new}
	arch := runtime.GOARCH
	if err := os.WriteFile(filepath.Join(agentsDir, "homelabcmd-agent-linux-"+arch), served(e.old, e.new), 0o755); err != nil {
		t.Fatal(err)
	}
	if code := api(t, "POST", h.URL+"/api/v1/servers", `{"id":"e2e-up","hostname":"e2e-up"}`, nil); code != 201 {
		t.Fatalf("create server: %d", code)
	}
	e.exe = filepath.Join(t.TempDir(), "homelabcmd-agent")
	if err := os.WriteFile(e.exe, e.old, 0o755); err != nil {
		t.Fatal(err)
	}
	_, bus := fakesystemd.New(t)
	cfg := filepath.Join(t.TempDir(), "agent.yaml")
	config := fmt.Sprintf("hub_url: %s\nserver_id: e2e-up\napi_key: %s\nheartbeat_interval: 5\nsystemd_bus_address: %q\noutbox_dir: %s\n",
		h.URL, testAPIKey, bus, filepath.Join(t.TempDir(), "outbox"))
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	e.sup = supervise(t, e.exe, cfg, func(bin []byte) []string { return env(bin, e.old, e.new) })
	waitFor(t, "the old agent reports its version", 60*time.Second, func() bool {
		s := e.server(t)
		return s.AgentVersion != nil && *s.AgentVersion == oldAgentVersion && s.AgentOutdated
	})
	return e
}

func (e *upgradeEnv) server(t *testing.T) serverVersion {
	var s serverVersion
	api(t, "GET", e.hub.URL+"/api/v1/servers/e2e-up", "", &s)
	return s
}

func (e *upgradeEnv) action(t *testing.T, id int64) upgradeAction {
	var a upgradeAction
	api(t, "GET", fmt.Sprintf("%s/api/v1/actions/%d", e.hub.URL, id), "", &a)
	return a
}

func (e *upgradeEnv) queue(t *testing.T) int64 {
	t.Helper()
	var q struct {
		ActionID      int64  `json:"action_id"`
		Status        string `json:"status"`
		TargetVersion string `json:"target_version"`
	}
	if code := api(t, "POST", e.hub.URL+"/api/v1/servers/e2e-up/agent/upgrade", "", &q); code != 201 || q.Status != "approved" {
		t.Fatalf("queue upgrade: %d %+v", code, q)
	}
	if code := api(t, "POST", e.hub.URL+"/api/v1/servers/e2e-up/agent/upgrade", "", nil); code != 409 {
		t.Fatalf("a second upgrade while one is active: %d, want 409", code)
	}
	return q.ActionID
}

func noEnv([]byte, []byte, []byte) []string { return []string{"HOMELAB_CMD_UPGRADE_ROLLBACK_AFTER=2m"} }

// An old agent upgraded from the hub: it downloads the new binary, checks
// it, swaps it in and exits; the supervisor (systemd) starts the new one,
// which reports the new version: the action is completed and verified,
// and the rollback copy is gone once the new one heartbeats.
func TestAgentUpgrade(t *testing.T) {
	e := setupUpgrade(t, func(_, new []byte) []byte { return new }, noEnv)
	// The bulk route queues it for this outdated, online server.
	var bulk struct {
		ActionIDs []int64 `json:"action_ids"`
	}
	if code := api(t, "POST", e.hub.URL+"/api/v1/agents/upgrade-outdated", "", &bulk); code != 200 || len(bulk.ActionIDs) != 1 {
		t.Fatalf("upgrade-outdated: %d %+v", code, bulk)
	}
	id := bulk.ActionIDs[0]
	waitFor(t, "the upgrade completed and verified", 120*time.Second, func() bool {
		a := e.action(t, id)
		if a.Status == "failed" {
			t.Fatalf("upgrade failed: %+v %v %v", a, deref(a.Stderr), deref(a.FailureReason))
		}
		return a.Status == "completed" && a.Verified != nil && *a.Verified
	})
	s := e.server(t)
	if s.AgentVersion == nil || *s.AgentVersion == oldAgentVersion || s.AgentOutdated {
		t.Fatalf("server after the upgrade: %+v", s)
	}
	if b, _ := os.ReadFile(e.exe); !bytes.Equal(b, e.new) {
		t.Fatal("the executable is not the new binary")
	}
	waitFor(t, "the new agent confirms the upgrade", 60*time.Second, func() bool {
		_, err1 := os.Stat(e.exe + ".previous")
		_, err2 := os.Stat(e.exe + ".upgrade")
		return os.IsNotExist(err1) && os.IsNotExist(err2)
	})
	if !strings.Contains(e.sup.Output(), "upgrade confirmed") {
		t.Fatal("the new agent did not log the confirmation")
	}
	// Nothing is outdated any more.
	var again struct {
		ActionIDs []int64 `json:"action_ids"`
	}
	if code := api(t, "POST", e.hub.URL+"/api/v1/agents/upgrade-outdated", "", &again); code != 200 || len(again.ActionIDs) != 0 {
		t.Fatalf("upgrade-outdated again: %d %+v", code, again)
	}
}

// A served binary that does not run fails the action; the old binary
// stays in place and keeps running.
func TestAgentUpgradeBrokenBinary(t *testing.T) {
	e := setupUpgrade(t, func(_, _ []byte) []byte { return []byte("this is not a program\n") }, noEnv)
	id := e.queue(t)
	var a upgradeAction
	waitFor(t, "the upgrade failed", 60*time.Second, func() bool {
		a = e.action(t, id)
		return a.Status == "failed"
	})
	if a.FailureReason == nil || *a.FailureReason != "agent_error" || !strings.Contains(deref(a.Stderr), "does not run here") {
		t.Fatalf("failed action: %+v stderr %q", a, deref(a.Stderr))
	}
	if b, _ := os.ReadFile(e.exe); !bytes.Equal(b, e.old) {
		t.Fatal("the executable changed")
	}
	entries, _ := os.ReadDir(filepath.Dir(e.exe))
	if len(entries) != 1 {
		t.Fatalf("files next to the executable: %v", entries)
	}
	if n := e.sup.Exits(); n != 0 {
		t.Fatalf("the agent exited %d times", n)
	}
}

// A new binary that cannot reach the hub rolls back after its window: the
// old binary is in place again and reports to the hub.
func TestAgentUpgradeRollback(t *testing.T) {
	e := setupUpgrade(t, func(_, new []byte) []byte { return new }, func(bin, _, new []byte) []string {
		env := []string{"HOMELAB_CMD_UPGRADE_ROLLBACK_AFTER=8s"}
		if bytes.Equal(bin, new) {
			// The new binary cannot reach the hub (nothing listens on port 1).
			env = append(env, "HOMELAB_CMD_AGENT_HUB_URL=http://127.0.0.1:1")
		}
		return env
	})
	id := e.queue(t)
	waitFor(t, "the old agent reported the upgrade done", 60*time.Second, func() bool {
		a := e.action(t, id)
		if a.Status == "failed" {
			t.Fatalf("upgrade failed: %+v %v", a, deref(a.Stderr))
		}
		return a.Status == "completed"
	})
	waitFor(t, "the rollback", 120*time.Second, func() bool {
		return strings.Contains(e.sup.Output(), "rolled back")
	})
	if b, _ := os.ReadFile(e.exe); !bytes.Equal(b, e.old) {
		t.Fatal("the old binary is not back")
	}
	entries, _ := os.ReadDir(filepath.Dir(e.exe))
	if len(entries) != 1 {
		t.Fatalf("files next to the executable: %v", entries)
	}
	// The old agent runs again and reports to the hub.
	before := e.server(t).LastSeen
	waitFor(t, "the old agent heartbeats again", 60*time.Second, func() bool {
		s := e.server(t)
		return s.AgentVersion != nil && *s.AgentVersion == oldAgentVersion && s.LastSeen != nil && (before == nil || *s.LastSeen != *before)
	})
	// Its reports of the old version settle the upgrade as unverified
	// (even if the new binary's queued heartbeats reached the hub first).
	waitFor(t, "the rolled-back upgrade is unverified", 60*time.Second, func() bool {
		a := e.action(t, id)
		return a.Verified != nil && !*a.Verified
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
