package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sshx/sshtest"
)

// buildStaticAgent builds the slim agent without cgo (the rooted test
// server has only sshd's libraries) with version stamped in.
func buildStaticAgent(t *testing.T, out, version string) []byte {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/homelabcmd/homelabcmd.Version="+version, "-o", out, "../cmd/homelabcmd-agent")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build agent %s: %v\n%s", version, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// callAPI sends body as JSON to base+/api/v1+path with the operator key,
// fails the test unless the status is want, and decodes the answer. Its
// timeout (3 min) leaves room for installs over SSH.
func callAPI(t *testing.T, base, method, path string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, base+"/api/v1"+path, rd)
	req.Header.Set("X-API-Key", testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// TestAgentInstallOverSSH installs, upgrades and removes the real slim
// agent over SSH on a rooted sshd (its own filesystem, in its own network
// namespace) with the real hub listening on the namespace's host side:
// the agent registers with a one-time token and heartbeats; an upgrade is
// reported with the new version and keeps .previous; a binary whose
// checksum does not match is refused; removal stops the agent, deletes its
// files and marks the server inactive; a non-root login installs it again
// through sudo with the stored sudo password, which never shows in the
// audit or the hub's output; and a removal with a login given for the call
// uses its password for sudo too.
func TestAgentInstallOverSSH(t *testing.T) {
	sshd := sshtest.StartRootedT(t)
	builds := t.TempDir()
	oldBin := buildStaticAgent(t, filepath.Join(builds, "old"), "0.9.0-old")
	newBin := buildStaticAgent(t, filepath.Join(builds, "new"), "0.9.1-new")
	agentsDir := t.TempDir()
	served := filepath.Join(agentsDir, "homelabcmd-agent-linux-"+runtime.GOARCH)
	if err := os.WriteFile(served, oldBin, 0o755); err != nil {
		t.Fatal(err)
	}
	h := startHubAt(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey,
		"HOMELAB_CMD_AGENTS_DIR=" + agentsDir}, sshd.HostSide, freePort(t))

	call := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		return callAPI(t, h.URL, method, path, body, want)
	}
	server := func() map[string]any { return call("GET", "/servers/rooted", nil, 200) }
	waitVersion := func(version string) {
		t.Helper()
		waitFor(t, "the agent reports "+version, 90*time.Second, func() bool {
			s := server()
			return s["status"] == "online" && s["agent_version"] == version && s["is_inactive"] == false
		})
	}
	sum := func(path string) string {
		b, err := os.ReadFile(sshd.InRoot(path))
		if err != nil {
			return ""
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])
	}
	hashOf := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	const bin = "/usr/local/bin/homelabcmd-agent"

	call("POST", "/settings/ssh/keys", map[string]any{"private_key": string(sshd.ClientKey)}, 201)

	// Install as root.
	res := call("POST", "/agents/install", map[string]any{"hostname": sshd.Host, "server_id": "rooted",
		"hub_url": h.URL, "monitored_services": []string{"ssh.service"}}, 200)
	if res["success"] != true || res["agent_version"] != "0.9.0-old" || res["architecture"] != runtime.GOARCH {
		t.Fatalf("install: %v", res)
	}
	waitVersion("0.9.0-old")
	if sum(bin) != hashOf(oldBin) {
		t.Fatal("the installed binary is not the one the hub serves")
	}
	cfg, err := os.ReadFile(sshd.InRoot("/etc/homelab-agent/config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "api_token:") || strings.Contains(string(cfg), testAPIKey) {
		t.Fatalf("config: %v\n%s", err, cfg)
	}
	if unit, err := os.ReadFile(sshd.InRoot("/etc/systemd/system/homelab-agent.service")); err != nil ||
		!strings.Contains(string(unit), "ExecStart="+bin+" --config /etc/homelab-agent/config.yaml") {
		t.Fatalf("unit: %v\n%s", err, unit)
	}

	// Upgrade: the new version is reported, the old binary kept.
	if err := os.WriteFile(served, newBin, 0o755); err != nil {
		t.Fatal(err)
	}
	if res := call("POST", "/agents/rooted/upgrade", nil, 200); res["success"] != true || res["agent_version"] != "0.9.1-new" {
		t.Fatalf("upgrade: %v", res)
	}
	waitVersion("0.9.1-new")
	if sum(bin+".previous") != hashOf(oldBin) || sum(bin) != hashOf(newBin) {
		t.Fatal("after the upgrade: want the new binary and the old one as .previous")
	}

	// A binary that is not what the hub's checksum says is refused: the
	// file changes underneath the hub, which keeps its checksum cache by
	// size and modification time.
	st, err := os.Stat(served)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), newBin...)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(served, bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(served, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	res = call("POST", "/agents/rooted/upgrade", nil, 200)
	if res["success"] != false || !strings.Contains(res["error"].(string), "SHA-256") {
		t.Fatalf("corrupted upgrade: %v", res)
	}
	if sum(bin) != hashOf(newBin) {
		t.Fatal("a refused upgrade replaced the binary")
	}
	if err := os.WriteFile(served, newBin, 0o755); err != nil {
		t.Fatal(err)
	}

	// Remove: stopped, files gone, server inactive.
	if res := call("POST", "/agents/rooted/remove", map[string]any{"delete_completely": false}, 200); res["success"] != true {
		t.Fatalf("remove: %v", res)
	}
	for _, p := range []string{bin, bin + ".previous", "/etc/homelab-agent/config.yaml", "/etc/systemd/system/homelab-agent.service",
		"/var/lib/homelab-agent", "/run/homelab-agent.service.pid"} {
		if _, err := os.Stat(sshd.InRoot(p)); !os.IsNotExist(err) {
			t.Errorf("%s still exists after removal", p)
		}
	}
	if pids, err := exec.Command("ip", "netns", "pids", sshd.NS).Output(); err == nil {
		for _, pid := range strings.Fields(string(pids)) {
			if cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline"); strings.Contains(string(cmd), "homelabcmd-agent") {
				t.Errorf("the agent still runs after removal (pid %s)", pid)
			}
		}
	}
	if s := server(); s["is_inactive"] != true || s["status"] != "offline" {
		t.Fatalf("after removal: %v", s)
	}
	call("POST", "/agents/rooted/upgrade", nil, 409)
	call("PUT", "/agents/rooted/activate", nil, 200)
	call("PUT", "/agents/rooted/activate", nil, 409)
	call("POST", "/agents/nope/upgrade", nil, 404)

	// Install again as a non-root login, through sudo with the stored password.
	call("PUT", "/servers/rooted/ssh", map[string]any{"host": sshd.Host, "port": sshd.Port, "username": sshtest.SudoUser}, 200)
	res = call("POST", "/agents/install", map[string]any{"server_id": "rooted", "hub_url": h.URL}, 200)
	if res["success"] != false {
		t.Fatalf("install through sudo without a password: %v", res)
	}
	call("POST", "/servers/rooted/credentials", map[string]any{"credential_type": "sudo_password", "value": sshd.SudoPassword}, 200)
	res = call("POST", "/agents/install", map[string]any{"server_id": "rooted", "hub_url": h.URL}, 200)
	if res["success"] != true {
		t.Fatalf("install through sudo: %v", res)
	}
	waitFor(t, "the reinstalled agent heartbeats", 90*time.Second, func() bool {
		s := server()
		return s["status"] == "online" && s["is_inactive"] == false
	})
	if st, err := os.Stat(sshd.InRoot(bin)); err != nil || st.Sys() == nil {
		t.Fatal(err)
	}
	// Remove with a login given for this call: its password opens sudo.
	call("DELETE", "/servers/rooted/credentials/sudo_password", nil, 204)
	res2 := call("POST", "/agents/rooted/remove", map[string]any{"ssh_username": sshtest.SudoUser, "ssh_password": sshd.SudoPassword}, 200)
	if res2["success"] != true {
		t.Fatalf("remove with the call's login: %v", res2)
	}
	if _, err := os.Stat(sshd.InRoot(bin)); !os.IsNotExist(err) {
		t.Fatal("the binary is still there")
	}
	out2, _ := json.Marshal(res2)
	audit := call("GET", "/settings/ssh/audit", nil, 200)
	raw, _ := json.Marshal(audit)
	out, _ := json.Marshal(res)
	for what, text := range map[string]string{"audit": string(raw), "answer": string(out), "removal": string(out2), "hub output": h.Output()} {
		if strings.Contains(text, sshd.SudoPassword) {
			t.Errorf("the sudo password shows in the %s", what)
		}
	}
	for _, want := range []string{"agent_install", "agent_upgrade", "agent_remove", "checksum mismatch", "sudo password used"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the audit has no %q", want)
		}
	}
}
