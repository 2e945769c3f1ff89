package httpapi_test

import (
	"strings"
	"testing"
	"time"
)

func TestAgentRegistration(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		r := a.op("POST", "/api/v1/agents/register/tokens", map[string]any{"display_name": "Garage Pi", "monitored_services": []string{"pihole-FTL", "ssh"}, "expiry_minutes": 10})
		expectStatus(t, r, 201)
		created := r.json(t)
		token := created["token"].(string)
		if !strings.HasPrefix(token, "hlh_rt_") || !strings.Contains(created["install_command"].(string), "/api/v1/agents/register/install.sh | sudo sh -s -- --token "+token) {
			t.Fatalf("created %v", created)
		}
		expectFieldError(t, a.op("POST", "/api/v1/agents/register/tokens", map[string]any{"expiry_minutes": 600}), "body.expiry_minutes")
		expectFieldError(t, a.op("POST", "/api/v1/agents/register/tokens", map[string]any{"monitored_services": []string{"a;b"}}), "body.monitored_services")
		expectFieldError(t, a.op("POST", "/api/v1/agents/register/tokens", map[string]any{"mode": "root"}), "body.mode")

		list := a.op("GET", "/api/v1/agents/register/tokens", nil).json(t)
		if list["total"] != 1.0 || strings.Contains(jsonString(list), token) {
			t.Fatalf("pending tokens %v (must not contain the secret)", list)
		}

		// Claim is open; the token is the credential.
		expectCode(t, a.do("POST", "/api/v1/agents/register/claim", map[string]any{"token": "hlh_rt_" + strings.Repeat("0", 64), "server_id": "pi", "hostname": "pi"}), 401, "UNAUTHORIZED")
		r = a.do("POST", "/api/v1/agents/register/claim", map[string]any{"token": token, "server_id": "garage-pi", "hostname": "garage-pi"})
		expectStatus(t, r, 200)
		claim := r.json(t)
		guid, agentToken := claim["server_guid"].(string), claim["api_token"].(string)
		cfg := claim["config_yaml"].(string)
		if claim["success"] != true || !strings.HasPrefix(agentToken, "hlh_ag_"+guid[:8]+"_") ||
			!strings.Contains(cfg, `server_guid: "`+guid+`"`) || !strings.Contains(cfg, `- "pihole-FTL"`) {
			t.Fatalf("claim %v", claim)
		}
		expectCode(t, a.do("POST", "/api/v1/agents/register/claim", map[string]any{"token": token, "server_id": "garage-pi", "hostname": "garage-pi"}), 400, "BAD_REQUEST")

		// The new agent reports with its own token; its services are expected.
		expectStatus(t, a.do("POST", "/api/v1/agents/heartbeat", hb("garage-pi", time.Now()), "X-Agent-Token", agentToken, "X-Server-GUID", guid), 200)
		svcs := a.op("GET", "/api/v1/servers/garage-pi/services", nil).json(t)
		if svcs["total"] != 2.0 {
			t.Fatalf("services from the token: %v", svcs)
		}
		s := a.op("GET", "/api/v1/servers/garage-pi", nil).json(t)
		if s["display_name"] != "Garage Pi" || s["status"] != "online" {
			t.Fatalf("server %v", s)
		}

		// Rotation replaces the token at once; revocation ends it.
		c := a.op("GET", "/api/v1/agents/register/credentials/"+guid, nil).json(t)
		if c["is_revoked"] != false || c["api_token_prefix"] != agentToken[:20] {
			t.Fatalf("credential %v", c)
		}
		rot := a.op("POST", "/api/v1/agents/register/credentials/"+guid+"/rotate", nil).json(t)
		newToken := rot["api_token"].(string)
		expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", hb("garage-pi", time.Now()), "X-Agent-Token", agentToken, "X-Server-GUID", guid), 401, "UNAUTHORIZED")
		expectStatus(t, a.do("POST", "/api/v1/agents/heartbeat", hb("garage-pi", time.Now()), "X-Agent-Token", newToken, "X-Server-GUID", guid), 200)
		expectStatus(t, a.op("POST", "/api/v1/agents/register/credentials/"+guid+"/revoke", nil), 200)
		expectCode(t, a.op("POST", "/api/v1/agents/register/credentials/"+guid+"/revoke", nil), 404, "NOT_FOUND")
		expectCode(t, a.do("POST", "/api/v1/agents/heartbeat", hb("garage-pi", time.Now()), "X-Agent-Token", newToken, "X-Server-GUID", guid), 401, "UNAUTHORIZED")

		// Deleting: a claimed token cannot be deleted; an unclaimed one can.
		expectCode(t, a.op("DELETE", "/api/v1/agents/register/tokens/"+jsonString(created["id"]), nil), 409, "CONFLICT")
		other := a.op("POST", "/api/v1/agents/register/tokens", map[string]any{}).json(t)
		expectStatus(t, a.op("DELETE", "/api/v1/agents/register/tokens/"+jsonString(other["id"]), nil), 204)
		expectCode(t, a.op("DELETE", "/api/v1/agents/register/tokens/"+jsonString(other["id"]), nil), 404, "NOT_FOUND")

		// The install script is open and names this hub.
		r = a.do("GET", "/api/v1/agents/register/install.sh", nil)
		expectStatus(t, r, 200)
		if !strings.Contains(string(r.Body), `HUB='`+a.srv.URL+`'`) || !strings.Contains(string(r.Body), `--registration-token "$TOKEN"`) ||
			!strings.Contains(string(r.Body), "/api/v1/agents/download/$ARCH/sha256") {
			t.Fatalf("install.sh:\n%s", r.Body)
		}
		expectCode(t, a.do("GET", "/api/v1/agents/download/sparc64", nil), 404, "NOT_FOUND")
	})
}
