package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// The hub serves each architecture's agent from agents_dir with its
// checksum (header and route); "arm" is armv7; a missing one is a 404 that
// says where to put it; a replaced file gets its new checksum.
func TestAgentDownloadFromAgentsDir(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:///"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		return hex.EncodeToString(sum[:])
	}
	sums := map[string]string{"arm64": write("homelabcmd-agent-linux-arm64", "arm64 agent"), "armv7": write("homelabcmd-agent-linux-armv7", "armv7 agent")}
	s, _ := newServer(db)
	s.AgentsDir = dir
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	get := func(path string) response {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
	}
	for _, tt := range []struct{ route, arch string }{{"arm64", "arm64"}, {"armv7", "armv7"}, {"arm", "armv7"}} {
		t.Run(tt.route, func(t *testing.T) {
			r := get("/api/v1/agents/download/" + tt.route)
			if r.Status != 200 || string(r.Body) != tt.arch+" agent" || r.Header.Get("X-Checksum-Sha256") != sums[tt.arch] ||
				!strings.Contains(r.Header.Get("Content-Disposition"), "homelabcmd-agent-linux-"+tt.arch) {
				t.Fatalf("%d %q %v", r.Status, r.Body, r.Header)
			}
			r = get("/api/v1/agents/download/" + tt.route + "/sha256")
			if want := sums[tt.arch] + "  homelabcmd-agent-linux-" + tt.arch + "\n"; r.Status != 200 || string(r.Body) != want {
				t.Fatalf("checksum route: %d %q, want %q", r.Status, r.Body, want)
			}
		})
	}
	// Not in the folder: the hub's own architecture falls back to the hub's
	// own binary; another architecture is a 404 naming the folder.
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	os.Remove(filepath.Join(dir, "homelabcmd-agent-linux-"+other))
	if r := get("/api/v1/agents/download/" + other + "/sha256"); r.Status != 404 || !strings.Contains(string(r.Body), "agents_dir") {
		t.Fatalf("missing arch: %d %s", r.Status, r.Body)
	}
	if r := get("/api/v1/agents/download/sparc64"); r.Status != 404 {
		t.Fatalf("unknown arch: %d", r.Status)
	}
	sums["armv7"] = write("homelabcmd-agent-linux-armv7", "armv7 agent, release 2")
	if r := get("/api/v1/agents/download/armv7/sha256"); !strings.HasPrefix(string(r.Body), sums["armv7"]) {
		t.Fatalf("replaced file: %s, want %s", r.Body, sums["armv7"])
	}
}

// "Add server" from a dashboard opened on the hub itself (127.0.0.1) gets
// the hub's LAN address in its install command; external_url wins over
// both; a request to a LAN name keeps that name.
func TestInstallCommandAddress(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:///"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, external, host, want string
	}{
		{"loopback gets the LAN address", "", "", "http://192.168.1.10:8080/api/v1/agents/register/install.sh"},
		{"a LAN name is kept", "", "hub.lan:8080", "http://hub.lan:8080/api/v1/agents/register/install.sh"},
		{"external_url wins", "https://hub.example.com/", "", "https://hub.example.com/api/v1/agents/register/install.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(db)
			s.LANURL, s.ExternalURL = "http://192.168.1.10:8080", tt.external
			hs := httptest.NewServer(s.Handler())
			defer hs.Close()
			req, _ := http.NewRequest("POST", hs.URL+"/api/v1/agents/register/tokens", strings.NewReader(`{}`))
			req.Header.Set("X-API-Key", testKey)
			req.Header.Set("Content-Type", "application/json")
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				InstallCommand string `json:"install_command"`
			}
			json.NewDecoder(resp.Body).Decode(&got)
			if resp.StatusCode != 201 || !strings.HasPrefix(got.InstallCommand, "curl -fsSL "+tt.want+" | sudo sh -s -- --token hlh_rt_") {
				t.Fatalf("%d %q", resp.StatusCode, got.InstallCommand)
			}
		})
	}
}
