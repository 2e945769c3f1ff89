package httpapi_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// forEachAgentlessAPI is forEachAPI with a secrets key file.
func forEachAgentlessAPI(t *testing.T, fn func(t *testing.T, a *api)) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		s, engine := newServer(db)
		s.Agentless.KeyFile = filepath.Join(t.TempDir(), "secrets.key")
		hs := httptest.NewServer(s.Handler())
		t.Cleanup(func() { s.Agentless.Wait(); hs.Close(); db.Close() })
		fn(t, &api{t: t, srv: hs, db: db, engine: engine})
	})
}

// TestAgentlessAPI: credentials are stored and described, never returned;
// bad input is refused naming the field; commands outside the whitelist
// get the contract's 400 with a string detail. (The SSH paths are tested
// against a real sshd in package agentless.)
func TestAgentlessAPI(t *testing.T) {
	forEachAgentlessAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/servers", map[string]any{"id": "nas", "hostname": "nas.lan"}), 201)
		const secret = "correct horse battery staple"

		r := a.op("POST", "/api/v1/servers/nas/credentials", map[string]any{"credential_type": "ssh_password", "value": secret})
		expectStatus(t, r, 200)
		if strings.Contains(string(r.Body), secret) {
			t.Fatal("the secret came back")
		}
		expectCode(t, a.op("POST", "/api/v1/servers/nas/credentials", map[string]any{"credential_type": "api_key", "value": "x"}), 400, "INVALID_CREDENTIAL_TYPE")
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/credentials", map[string]any{"credential_type": "ssh_private_key", "value": "not a key"}), "body.value")
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/credentials", map[string]any{"credential_type": "ssh_password", "value": ""}), "body.value")
		expectCode(t, a.op("POST", "/api/v1/servers/ghost/credentials", map[string]any{"credential_type": "ssh_password", "value": "x"}), 404, "NOT_FOUND")

		r = a.op("GET", "/api/v1/servers/nas/credentials", nil)
		expectStatus(t, r, 200)
		if strings.Contains(string(r.Body), secret) || !strings.Contains(string(r.Body), `"scope":"server"`) {
			t.Fatalf("credentials: %s", r.Body)
		}
		// The generated default key: its public half, never the private one.
		r = a.op("POST", "/api/v1/settings/ssh/keys", map[string]any{"comment": "hub"})
		expectStatus(t, r, 201)
		if body := r.json(t); !strings.HasPrefix(body["public_key"].(string), "ssh-ed25519 ") || strings.Contains(string(r.Body), "PRIVATE") {
			t.Fatalf("key: %s", r.Body)
		}
		expectFieldError(t, a.op("POST", "/api/v1/settings/ssh/keys", map[string]any{"private_key": "junk"}), "body.private_key")
		if body := a.op("GET", "/api/v1/settings/ssh", nil).json(t); body["has_default_key"] != true || body["default_username"] != "root" {
			t.Fatalf("settings %v", body)
		}
		expectFieldError(t, a.op("PUT", "/api/v1/settings/ssh", map[string]any{"default_port": 0}), "body.default_port")
		expectFieldError(t, a.op("PUT", "/api/v1/settings/ssh", map[string]any{"default_username": "root; rm"}), "body.default_username")

		// Commands: the whitelist decides before any connection.
		for _, cmd := range []string{"rm -rf /", "uptime && id", "systemctl restart x$(id)"} {
			r := a.op("POST", "/api/v1/servers/nas/commands/execute", map[string]any{"command": cmd})
			expectStatus(t, r, 400)
			if body := r.json(t); body["detail"] != "Command not whitelisted" {
				t.Fatalf("%q: %s", cmd, r.Body)
			}
		}
		expectFieldError(t, a.op("POST", "/api/v1/servers/nas/commands/execute", map[string]any{}), "body.command")
		expectStatus(t, a.op("POST", "/api/v1/servers/ghost/commands/execute", map[string]any{"command": "uptime"}), 404)

		// Scans and sweeps validate before they start.
		expectFieldError(t, a.op("POST", "/api/v1/scans", map[string]any{"hostname": "bad host"}), "body.hostname")
		expectFieldError(t, a.op("POST", "/api/v1/scans", map[string]any{"hostname": "10.0.0.1", "scan_type": "deep"}), "body.scan_type")
		expectFieldError(t, a.op("POST", "/api/v1/scan/test", map[string]any{"hostname": "10.0.0.1", "port": 70000}), "body.port")
		expectFieldError(t, a.op("POST", "/api/v1/discovery", map[string]any{"subnet": "10.0.0.0/20"}), "body.confirm")
		expectFieldError(t, a.op("POST", "/api/v1/discovery", map[string]any{"subnet": "10.0.0.0/8", "confirm": true}), "body.subnet")
		expectFieldError(t, a.op("POST", "/api/v1/discovery", map[string]any{"subnet": "example.com"}), "body.subnet")
		expectFieldError(t, a.op("PUT", "/api/v1/settings/discovery", map[string]any{"ports": []int{22, 0}}), "body.ports")
		expectStatus(t, a.op("GET", "/api/v1/scans/999", nil), 404)
		expectFieldError(t, a.op("POST", "/api/v1/discovery/import", map[string]any{"hostname": "10.0.0.9"}), "body.server_id")
		expectFieldError(t, a.op("POST", "/api/v1/discovery/import", map[string]any{"hostname": "10.0.0.9", "server_id": "Bad Id"}), "body.server_id")
		expectFieldError(t, a.op("POST", "/api/v1/discovery/import", map[string]any{"hostname": "-oProxyCommand=x", "server_id": "x"}), "body.hostname")
		expectFieldError(t, a.op("PUT", "/api/v1/servers/nas/ssh", map[string]any{"host": "10.0.0.9", "username": "root;id"}), "body.username")
		expectStatus(t, a.op("PUT", "/api/v1/servers/nas/ssh", map[string]any{"host": "10.0.0.9", "username": "admin"}), 200)
		if body := a.op("GET", "/api/v1/servers/nas/ssh", nil).json(t); body["host"] != "10.0.0.9" || body["port"] != float64(22) {
			t.Fatalf("ssh target %v", body)
		}
		if n := countServers(t, a); n != 1 {
			t.Fatalf("refused imports created servers: %d", n)
		}
		expectFieldError(t, a.op("GET", "/api/v1/scans/abc", nil), "path.scid")

		expectFieldError(t, a.op("POST", "/api/v1/settings/tailscale/token", map[string]any{"token": "x"}), "body.token")
		if body := a.op("GET", "/api/v1/settings/tailscale/status", nil).json(t); body["configured"] != false {
			t.Fatalf("tailscale %v", body)
		}
		expectStatus(t, a.op("DELETE", "/api/v1/settings/tailscale/token", nil), 404)

		// Configuration packs: base is required; nothing checked yet.
		if r := a.op("GET", "/api/v1/config/packs", nil); !strings.Contains(string(r.Body), `"name":"base"`) {
			t.Fatalf("packs: %s", r.Body)
		}
		expectCode(t, a.op("PUT", "/api/v1/servers/nas/config/packs", map[string]any{"packs": []string{"developer"}}), 400, "BASE_PACK_REQUIRED")
		expectCode(t, a.op("PUT", "/api/v1/servers/nas/config/packs", map[string]any{"packs": []string{"base", "gaming"}}), 400, "UNKNOWN_PACK")
		expectStatus(t, a.op("PUT", "/api/v1/servers/nas/config/packs", map[string]any{"packs": []string{"base", "developer"}}), 200)
		if body := a.op("GET", "/api/v1/servers/nas/config/packs", nil); !strings.Contains(string(body.Body), `["base","developer"]`) {
			t.Fatalf("assigned: %s", body.Body)
		}
		expectStatus(t, a.op("GET", "/api/v1/servers/nas/config/diff", nil), 404)
		expectStatus(t, a.op("GET", "/api/v1/config/packs/nope", nil), 404)
		if r := a.op("GET", "/api/v1/config/compliance", nil); !strings.Contains(string(r.Body), `"status":"never_checked"`) {
			t.Fatalf("compliance: %s", r.Body)
		}

		// Every credential change is audited, by whom and which.
		audit := a.op("GET", "/api/v1/settings/ssh/audit", nil)
		expectStatus(t, audit, 200)
		for _, want := range []string{`"credential":"server nas ssh_password"`, `"credential":"default ssh_private_key"`, `"outcome":"refused"`} {
			if !strings.Contains(string(audit.Body), want) {
				t.Fatalf("audit lacks %s: %s", want, audit.Body)
			}
		}
		if strings.Contains(string(audit.Body), secret) {
			t.Fatal("a secret in the audit trail")
		}
		expectStatus(t, a.op("DELETE", "/api/v1/servers/nas/credentials/ssh_password", nil), 204)
		expectStatus(t, a.op("DELETE", "/api/v1/servers/nas/credentials/ssh_password", nil), 404)
		// Deleting the server takes its credentials along, not the default.
		expectStatus(t, a.op("POST", "/api/v1/servers/nas/credentials", map[string]any{"credential_type": "sudo_password", "value": secret}), 200)
		expectStatus(t, a.op("DELETE", "/api/v1/servers/nas", nil), 204)
		if _, err := a.db.SealedSSHCredential(context.Background(), "nas", homelabcmd.CredSudoPassword); !homelabcmd.IsNotFound(err) {
			t.Fatalf("credential outlived its server: %v", err)
		}
		if _, err := a.db.SealedSSHCredential(context.Background(), "", homelabcmd.CredSSHPrivateKey); err != nil {
			t.Fatal(err)
		}
	})
}

func countServers(t *testing.T, a *api) int {
	t.Helper()
	list, err := a.db.ListServers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}
