package e2e

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fetch GETs url and returns the body and the response.
func fetch(t *testing.T, url string) ([]byte, *http.Response) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, resp
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// installScriptRun is install.sh from hub run with sh, installing into
// dir/bin (pass --config and --unit after "--" and --no-start to stay out of
// /etc); it returns the output and the error.
func installScriptRun(t *testing.T, hub, dir string, args ...string) (string, error) {
	t.Helper()
	script, resp := fetch(t, hub+"/api/v1/agents/register/install.sh")
	if resp.StatusCode != 200 {
		t.Fatalf("install.sh: %d", resp.StatusCode)
	}
	os.Mkdir(filepath.Join(dir, "bin"), 0o755)
	cmd := exec.Command("sh", append([]string{"-s", "--", "--bin-dir", filepath.Join(dir, "bin")}, args...)...)
	cmd.Stdin = bytes.NewReader(script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// registrationToken creates a one-time token on the hub.
func registrationToken(t *testing.T, hub string) string {
	t.Helper()
	var tok struct {
		Token string `json:"token"`
	}
	if code := api(t, "POST", hub+"/api/v1/agents/register/tokens", `{"mode":"readonly"}`, &tok); code != 201 {
		t.Fatalf("create token: %d", code)
	}
	return tok.Token
}

// install.sh (POSIX sh) on this machine against a hub that has only its own
// binary: it detects the architecture, verifies the checksum, installs the
// binary and runs `agent install` without starting anything; an
// architecture the hub does not have fails clearly and installs nothing.
func TestInstallScript(t *testing.T) {
	t.Parallel()
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	dir := t.TempDir()
	cfg, unit := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "agent.service")
	out, err := installScriptRun(t, h.URL, dir, "--token", registrationToken(t, h.URL), "--server-id", "e2e-box", "--no-start", "--", "--config", cfg, "--unit", unit)
	if err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "bin", "homelabcmd")
	installed, err := os.ReadFile(bin)
	if err != nil {
		t.Fatalf("no binary installed: %v\n%s", err, out)
	}
	sum, _ := fetch(t, h.URL+"/api/v1/agents/download/amd64/sha256")
	if !strings.HasPrefix(string(sum), sha256Hex(installed)) || !strings.Contains(out, "sha256 "+sha256Hex(installed)) {
		t.Fatalf("installed binary's checksum %s, hub says %q\n%s", sha256Hex(installed), sum, out)
	}
	c, _ := os.ReadFile(cfg)
	u, _ := os.ReadFile(unit)
	if !strings.Contains(string(c), "server_id: e2e-box") || !strings.Contains(string(c), "api_token: hlh_ag_") ||
		!strings.Contains(string(u), "ExecStart="+bin+" agent --config "+cfg) {
		t.Fatalf("config:\n%s\nunit:\n%s\noutput:\n%s", c, u, out)
	}

	dir = t.TempDir()
	out, err = installScriptRun(t, h.URL, dir, "--token", registrationToken(t, h.URL), "--arch", "armv7", "--no-start")
	if err == nil || !strings.Contains(out, "has no agent for linux/armv7") {
		t.Fatalf("missing architecture: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "bin")); len(entries) != 0 {
		t.Fatalf("installed something: %v", entries)
	}
	if out, err := installScriptRun(t, h.URL, t.TempDir(), "--server-id", "x"); err == nil || !strings.Contains(out, "--token is required") {
		t.Fatalf("no token: %v\n%s", err, out)
	}
}

// release builds scripts/release twice (once per test binary) when
// HOMELAB_TEST_RELEASE is set, and returns the two output folders.
var release struct {
	once     sync.Once
	a, b     string
	out, err string
}

func releaseDist(t *testing.T) (string, string) {
	t.Helper()
	if os.Getenv("HOMELAB_TEST_RELEASE") == "" {
		t.Skip("set HOMELAB_TEST_RELEASE=1 to build the release with scripts/release and test it (CI does)")
	}
	release.once.Do(func() {
		root, _ := os.MkdirTemp("", "homelabcmd-release")
		release.a, release.b = filepath.Join(root, "a"), filepath.Join(root, "b")
		for _, d := range []string{release.a, release.b} {
			out, err := exec.Command("../scripts/release", d).CombinedOutput()
			if err != nil {
				release.out, release.err = string(out), err.Error()
				return
			}
		}
	})
	if release.err != "" {
		t.Fatalf("scripts/release: %s\n%s", release.err, release.out)
	}
	return release.a, release.b
}

// wantMachine is the ELF machine of each release architecture.
var wantMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "armv7": elf.EM_ARM}

// checkELF checks that b is a static Linux executable for arch.
func checkELF(t *testing.T, name string, b []byte, arch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not ELF: %v", name, err)
	}
	defer f.Close()
	if f.Machine != wantMachine[arch] || f.Type != elf.ET_EXEC {
		t.Fatalf("%s: machine %v type %v, want %v ET_EXEC", name, f.Machine, f.Type, wantMachine[arch])
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s: dynamically linked (has an interpreter)", name)
		}
	}
}

// The release: six static binaries with the right ELF machine, SHA256SUMS
// that match, and a second build byte-identical to the first.
func TestRelease(t *testing.T) {
	a, b := releaseDist(t)
	sums, err := os.ReadFile(filepath.Join(a, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 6 {
		t.Fatalf("SHA256SUMS has %d lines:\n%s", len(lines), sums)
	}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", line)
		}
		body, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		if sha256Hex(body) != sum {
			t.Errorf("%s: checksum differs from SHA256SUMS", name)
		}
		checkELF(t, name, body, name[strings.LastIndex(name, "-")+1:])
		again, err := os.ReadFile(filepath.Join(b, name))
		if err != nil || !bytes.Equal(body, again) {
			t.Errorf("%s: the second build differs (%v)", name, err)
		}
	}
	// The amd64 binaries run here and print the stamped version.
	for _, args := range [][]string{{"homelabcmd-linux-amd64", "--version"}, {"homelabcmd-linux-amd64", "agent", "--version"}, {"homelabcmd-agent-linux-amd64", "--version"}} {
		out, err := exec.Command(filepath.Join(a, args[0]), args[1:]...).CombinedOutput()
		if err != nil || strings.Contains(string(out), "0.1.0-dev") {
			t.Errorf("%v: %v %s (want the git describe version)", args, err, out)
		}
	}
	// The ARM binaries run too, under Debian's qemu-user-static (CI installs
	// it): they start, parse their flags and print the stamped version.
	for arch, emu := range map[string]string{"arm64": "qemu-aarch64-static", "armv7": "qemu-arm-static"} {
		path, err := exec.LookPath(emu)
		if err != nil {
			if os.Getenv("HOMELAB_TEST_REQUIRE_QEMU") != "" {
				t.Fatalf("%s is not installed (apt-get install qemu-user-static)", emu)
			}
			t.Logf("%s not installed: the %s binaries are checked by ELF header and checksum only", emu, arch)
			continue
		}
		for _, args := range [][]string{{"homelabcmd-linux-" + arch, "--version"}, {"homelabcmd-agent-linux-" + arch, "--version"}} {
			out, err := exec.Command(path, append([]string{filepath.Join(a, args[0])}, args[1:]...)...).CombinedOutput()
			if err != nil || strings.Contains(string(out), "0.1.0-dev") || !strings.Contains(string(out), "arm") {
				t.Errorf("%s %v: %v %s (want the git describe version and the arch)", emu, args, err, out)
			}
		}
	}
}

// A hub pointed at the release folder serves the arm64 and armv7 agents
// with their checksums; install.sh installs the slim agent from it.
func TestHubServesEveryArch(t *testing.T) {
	dist, _ := releaseDist(t)
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey}, "--agents-dir", dist)
	sums, _ := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	for _, arch := range []string{"arm64", "armv7", "amd64"} {
		name := "homelabcmd-agent-linux-" + arch
		body, resp := fetch(t, h.URL+"/api/v1/agents/download/"+arch)
		sum, _ := fetch(t, h.URL+"/api/v1/agents/download/"+arch+"/sha256")
		line := sha256Hex(body) + "  " + name
		if resp.StatusCode != 200 || resp.Header.Get("X-Checksum-Sha256") != sha256Hex(body) || string(sum) != line+"\n" ||
			!strings.Contains(string(sums), line+"\n") {
			t.Fatalf("%s: %d, header %s, route %q, computed %s", arch, resp.StatusCode, resp.Header.Get("X-Checksum-Sha256"), sum, line)
		}
		checkELF(t, name, body, arch)
	}
	dir := t.TempDir()
	cfg, unit := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "agent.service")
	out, err := installScriptRun(t, h.URL, dir, "--token", registrationToken(t, h.URL), "--server-id", "e2e-slim", "--no-start", "--", "--config", cfg, "--unit", unit)
	bin := filepath.Join(dir, "bin", "homelabcmd-agent")
	u, _ := os.ReadFile(unit)
	if err != nil || !strings.Contains(string(u), "ExecStart="+bin+" --config "+cfg) {
		t.Fatalf("install.sh with the slim agent: %v\n%s\nunit:\n%s", err, out, u)
	}
}
