package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// RegistrationStore keeps one-time agent registration tokens.
type RegistrationStore interface {
	CreateRegistrationToken(ctx context.Context, t *homelabcmd.RegistrationToken, ttl time.Duration) error
	PendingRegistrationTokens(ctx context.Context) ([]*homelabcmd.RegistrationToken, error)
	DeleteRegistrationToken(ctx context.Context, id int64) error
	ClaimRegistrationToken(ctx context.Context, token, serverID, hostname string) (*homelabcmd.Claim, error)
}

func (s *Server) handleCreateRegistrationToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Mode              string   `json:"mode"`
		DisplayName       *string  `json:"display_name"`
		MonitoredServices []string `json:"monitored_services"`
		ExpiryMinutes     *int     `json:"expiry_minutes"`
		AllowExisting     bool     `json:"allow_existing"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	minutes := 15
	if body.ExpiryMinutes != nil {
		if *body.ExpiryMinutes < 5 || *body.ExpiryMinutes > 60 {
			s.writeError(w, r, homelabcmd.FieldError("expiry_minutes", "expiry_minutes must be from 5 to 60"))
			return
		}
		minutes = *body.ExpiryMinutes
	}
	t := &homelabcmd.RegistrationToken{Mode: body.Mode, DisplayName: body.DisplayName, MonitoredServices: body.MonitoredServices,
		AllowExisting: body.AllowExisting}
	if err := s.store.CreateRegistrationToken(r.Context(), t, time.Duration(minutes)*time.Minute); err != nil {
		s.writeError(w, r, err)
		return
	}
	hub := s.hubURL(r)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": t.ID, "token": t.Token, "token_prefix": t.Prefix, "expires_at": t.ExpiresAt, "allow_existing": t.AllowExisting,
		"install_command": fmt.Sprintf("curl -sSL %s | sudo bash -s -- --token %s", shellQuote(hub+"/api/v1/agents/register/install.sh"), t.Token),
	})
}

func (s *Server) handleListRegistrationTokens(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.PendingRegistrationTokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, len(list))
	for i, t := range list {
		out[i] = map[string]any{"id": t.ID, "token_prefix": t.Prefix, "mode": t.Mode, "display_name": t.DisplayName,
			"monitored_services": t.MonitoredServices, "allow_existing": t.AllowExisting, "expires_at": t.ExpiresAt, "created_at": t.CreatedAt,
			"is_expired": false, "is_claimed": false}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out, "total": len(out)})
}

func (s *Server) handleDeleteRegistrationToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("tid"), 10, 64)
	if err != nil {
		s.writeError(w, r, homelabcmd.FieldError("path.id", "token id must be an integer"))
		return
	}
	if err := s.store.DeleteRegistrationToken(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleClaim is open: the one-time token in the body is the credential,
// so the body is read with the small limit of unauthenticated routes.
// ?format=yaml answers with the agent's config file alone.
func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token    string `json:"token"`
		ServerID string `json:"server_id"`
		Hostname string `json:"hostname"`
	}
	if err := decodeJSONLimit(w, r, &body, maxOpenBodyBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body.Token) < 40 {
		s.writeError(w, r, homelabcmd.FieldError("token", "token must be a registration token (hlh_rt_…)"))
		return
	}
	claim, err := s.store.ClaimRegistrationToken(r.Context(), body.Token, body.ServerID, body.Hostname)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg := agentConfigYAML(s.hubURL(r), claim)
	w.Header().Set("Cache-Control", "no-store") // it holds the agent's token
	if r.URL.Query().Get("format") == "yaml" {
		w.Header().Set("Content-Type", "application/yaml")
		fmt.Fprint(w, cfg)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "server_id": claim.ServerID, "server_guid": claim.GUID,
		"api_token": claim.AgentToken, "config_yaml": cfg, "error": nil})
}

// agentConfigYAML is the agent config a claim hands out, in the original
// agent's keys (api_token is the per-agent token).
func agentConfigYAML(hub string, c *homelabcmd.Claim) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub_url: %q\nserver_id: %q\nserver_guid: %q\napi_token: %q\nmode: %q\nheartbeat_interval: 60\n",
		hub, c.ServerID, c.GUID, c.AgentToken, c.Token.Mode)
	if len(c.Token.MonitoredServices) > 0 {
		b.WriteString("monitored_services:\n")
		for _, s := range c.Token.MonitoredServices {
			fmt.Fprintf(&b, "  - %q\n", s)
		}
	}
	return b.String()
}

func (s *Server) handleGetCredential(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.FindAgentCredential(r.Context(), r.PathValue("guid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"server_guid": c.ServerGUID, "server_id": c.ServerID, "api_token_prefix": c.Prefix,
		"is_legacy": false, "last_used_at": c.LastUsedAt, "is_revoked": c.RevokedAt != nil, "created_at": c.CreatedAt})
}

func (s *Server) handleRotateCredential(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	token, err := s.store.RotateAgentToken(r.Context(), guid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "server_guid": guid, "api_token": token, "api_token_prefix": token[:20]})
}

func (s *Server) handleRevokeCredential(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	if err := s.store.RevokeAgentToken(r.Context(), guid); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "server_guid": guid})
}

// handleDownloadAgent serves this hub's own binary (hub and agent are one
// binary) when the requested architecture is the hub's.
func (s *Server) handleDownloadAgent(w http.ResponseWriter, r *http.Request) {
	arch := r.PathValue("arch")
	if arch != runtime.GOARCH || runtime.GOOS != "linux" {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.ENOTFOUND,
			"This hub runs linux/%s and can only serve that binary; build one for %s with: CGO_ENABLED=0 GOARCH=%s go build ./cmd/homelabcmd", runtime.GOARCH, arch, arch))
		return
	}
	exe, err := os.Executable()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// A 30 MB binary to a Raspberry Pi on Wi-Fi can take longer than the
	// server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(15 * time.Minute))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="homelabcmd"`)
	http.ServeFile(w, r, exe)
}

// installScript installs and starts the agent: it downloads the hub's
// binary when the architecture matches, and lets the binary claim the token
// and write its config and systemd unit.
var installScript = template.Must(template.New("install").Parse(`#!/bin/sh
# homelabcmd agent installer. Usage: install.sh --token hlh_rt_… [--server-id ID]
set -eu
HUB={{.Hub}}
TOKEN=""
SERVER_ID="$(hostname -s 2>/dev/null | tr 'A-Z_.' 'a-z--' | tr -cd 'a-z0-9-')"
while [ $# -gt 0 ]; do
  case "$1" in
    --token) TOKEN="$2"; shift 2 ;;
    --server-id) SERVER_ID="$2"; shift 2 ;;
    --hub) HUB="$2"; shift 2 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$TOKEN" ] || { echo "install.sh: --token is required (create one in the dashboard)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo bash)" >&2; exit 1; }
case "$(uname -m)" in
  x86_64|amd64) ARCH=amd64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  armv7l|armv7*) ARCH=arm ;;
  *) echo "install.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
BIN=/usr/local/bin/homelabcmd
TMP="$(mktemp)"
if curl -fsSL -o "$TMP" "$HUB/api/v1/agents/download/$ARCH"; then
  install -m 0755 "$TMP" "$BIN"
  rm -f "$TMP"
elif [ -x "$BIN" ]; then
  echo "install.sh: the hub has no $ARCH binary; using the existing $BIN" >&2
  rm -f "$TMP"
else
  rm -f "$TMP"
  echo "install.sh: the hub serves no $ARCH binary. Build one (CGO_ENABLED=0 GOARCH=$ARCH go build ./cmd/homelabcmd), copy it to $BIN and run this again." >&2
  exit 1
fi
"$BIN" agent install --hub "$HUB" --registration-token "$TOKEN" --server-id "$SERVER_ID"
`))

// handleInstallScript serves install.sh. It is piped to `sudo bash`, so the
// one value rendered into it is shell-quoted (and its host validated by
// hubURL), and no cache may keep it: one request with a forged host must
// never become every machine's installer.
func (s *Server) handleInstallScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/x-shellscript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = installScript.Execute(w, map[string]string{"Hub": "'" + strings.ReplaceAll(s.hubURL(r), "'", `'\''`) + "'"})
}

// shellQuote quotes s for a POSIX shell: single quotes, each ' as '\”,
// unless s holds only characters no shell treats specially (a plain URL
// stays as the contract shows it).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:/._-[]@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
