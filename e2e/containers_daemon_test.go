package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

// privateDockerd runs a dockerd of the test's own (own socket, data and
// exec roots; no bridge, no iptables) so that restarting it touches no other
// test. It returns the socket and a restart function.
func privateDockerd(t *testing.T) (sock string, restart func()) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hlcd")
	if err != nil {
		t.Fatal(err)
	}
	sock = filepath.Join(dir, "d.sock")
	var cmd *exec.Cmd
	start := func() {
		t.Helper()
		cmd = exec.Command("dockerd", "--host", "unix://"+sock, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
			"--pidfile", filepath.Join(dir, "d.pid"), "--bridge=none", "--iptables=false", "--ip6tables=false")
		log, _ := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("dockerd: %v", err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if _, err := docker(t, "-H", "unix://"+sock, "info"); err == nil {
				return
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(filepath.Join(dir, "log"))
				t.Fatalf("private dockerd did not answer:\n%s", b)
			}
		}
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	start()
	t.Cleanup(func() {
		out, _ := docker(t, "-H", "unix://"+sock, "ps", "-aq")
		if out != "" {
			docker(t, "-H", "unix://"+sock, "rm", "-f", out)
		}
		stop()
		os.RemoveAll(dir)
	})
	return sock, func() { stop(); start() }
}

// The daemon restarting under the agent: its event stream breaks, the
// agent reconnects with backoff and reports what the restart did (the
// container exited with it) without waiting for its 60 s heartbeat, and
// follows the new stream's events after.
func TestContainersDaemonRestart(t *testing.T) {
	if os.Getenv("HOMELAB_TEST_DOCKER") == "" {
		t.Skip("set HOMELAB_TEST_DOCKER=1 with dockerd installed to test a daemon restart (CI does)")
	}
	t.Parallel()
	sock, restart := privateDockerd(t)
	dir := t.TempDir()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("the static busybox (Debian busybox-static) is needed: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "busybox"), bb, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\n"), 0o644)
	dk := func(args ...string) {
		t.Helper()
		if out, err := docker(t, append([]string{"-H", "unix://" + sock}, args...)...); err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
	}
	dk("build", "-q", "-t", "hlcd-bb:latest", dir)
	dk("run", "-d", "--network", "none", "--stop-timeout", "1", "--name", "svc", "hlcd-bb:latest", "sleep", "3600")

	_, bus := fakesystemd.New(t)
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	api(t, "POST", h.URL+"/api/v1/servers", `{"id":"e2e-nas","hostname":"e2e-nas"}`, nil)
	// A short outage resolves at once, without the recovery hold.
	if code := api(t, "PUT", h.URL+"/api/v1/config/thresholds", `{"flapping":{"recovery_hold_seconds":0}}`, nil); code != 200 {
		t.Fatalf("thresholds: %d", code)
	}
	api(t, "POST", h.URL+"/api/v1/servers/e2e-nas/containers", `{"container_name":"svc"}`, nil)
	StartAgent(t, agentConfig(t, h.URL, bus, 60, nil)+fmt.Sprintf("docker_host: unix://%s\n", sock), "-v")
	waitContainer(t, h.URL, "e2e-nas", "svc", "running", 30*time.Second)

	// Without live-restore the container exits with the daemon (its die
	// event usually still reaches the agent before the stream closes).
	restart()
	waitContainer(t, h.URL, "e2e-nas", "svc", "failed", 45*time.Second)
	waitContainerAlert(t, h.URL, "e2e-nas", "container", "svc", "open", 10*time.Second)

	// Only the reopened event stream can bring this before the heartbeat
	// interval (60 s); the latency is logged, not asserted.
	dk("start", "svc")
	took := waitContainer(t, h.URL, "e2e-nas", "svc", "running", 30*time.Second)
	t.Logf("start after the daemon restart seen by the hub after %v", took)
	waitContainerAlert(t, h.URL, "e2e-nas", "container", "svc", "resolved", 10*time.Second)
}
