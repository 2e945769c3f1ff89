package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sshx/sshtest"
)

// TestAgentlessEndToEnd drives the real hub binary against a real sshd in
// a network namespace the test creates: import the key, test a login,
// sweep the namespace's own /30, import what it found, run a whitelisted
// command and check configuration packs. The key file is created 0600 and
// the database never holds the key in the clear.
func TestAgentlessEndToEnd(t *testing.T) {
	sshd, err := sshtest.Start()
	if errors.Is(err, sshtest.ErrUnavailable) && !sshtest.Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sshd.Close)
	dir := t.TempDir()
	h := StartHub(t, dir, []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	call := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		return callAPI(t, h.URL, method, path, body, want)
	}

	call("POST", "/settings/ssh/keys", map[string]any{"private_key": string(sshd.ClientKey)}, 201)
	if r := call("POST", "/scan/test", map[string]any{"hostname": sshd.Host}, 200); r["success"] != true || r["host_key_new"] != true {
		t.Fatalf("scan/test %v", r)
	}
	d := call("POST", "/discovery", map[string]any{"subnet": sshd.Subnet}, 202)
	var devices []any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := call("GET", "/discovery/"+jsonNumber(d["discovery_id"]), nil, 200)
		if got["status"] == "completed" {
			devices, _ = got["devices"].([]any)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweep not finished: %v", got)
		}
	}
	found := false
	for _, x := range devices {
		dev := x.(map[string]any)
		found = found || dev["ip"] == sshd.Host && dev["ssh_available"] == true
	}
	if !found {
		t.Fatalf("sweep did not find %s: %v", sshd.Host, devices)
	}
	call("POST", "/discovery/import", map[string]any{"hostname": sshd.Host, "server_id": "netns"}, 201)
	if r := call("POST", "/servers/netns/commands/execute", map[string]any{"command": "uptime"}, 200); r["success"] != true || !strings.Contains(r["stdout"].(string), "load average") {
		t.Fatalf("uptime %v", r)
	}
	call("POST", "/servers/netns/commands/execute", map[string]any{"command": "cat /etc/shadow"}, 400)
	if r := call("POST", "/servers/netns/config/check", nil, 200); r["items"] == nil {
		t.Fatalf("check %v", r)
	}
	if r := call("GET", "/config/compliance", nil, 200); !strings.Contains(jsonText(r), `"server_id":"netns"`) {
		t.Fatalf("compliance %v", r)
	}

	key := filepath.Join(dir, "data", "secrets.key")
	st, err := os.Stat(key)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", st, err)
	}
	for _, f := range []string{"homelab.db", "homelab.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, "data", f))
		if bytes.Contains(b, []byte("OPENSSH PRIVATE KEY")) {
			t.Fatalf("%s holds the private key in the clear", f)
		}
	}
}

func jsonNumber(v any) string { b, _ := json.Marshal(v); return string(b) }

func jsonText(v any) string { b, _ := json.Marshal(v); return string(b) }
