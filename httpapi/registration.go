package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
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

// reachableURL is hubURL, except that a request to a loopback address
// (a dashboard opened on the hub itself) gets LANURL: the install command
// runs on another machine.
func (s *Server) reachableURL(r *http.Request) string {
	u := s.hubURL(r)
	if s.ExternalURL != "" || s.LANURL == "" {
		return u
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	host := parsed.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return strings.TrimRight(s.LANURL, "/")
	}
	return u
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
	hub := s.reachableURL(r)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": t.ID, "token": t.Token, "token_prefix": t.Prefix, "expires_at": t.ExpiresAt, "allow_existing": t.AllowExisting,
		"install_command": fmt.Sprintf("curl -fsSL %s | sudo sh -s -- --token %s", shellQuote(hub+"/api/v1/agents/register/install.sh"), t.Token),
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

// installScript installs the agent (POSIX sh): it detects the
// architecture, downloads that agent binary from the hub, verifies its
// SHA-256, and lets the binary claim the token and write its config and
// systemd unit. Every failure says what went wrong and installs nothing.
var installScript = template.Must(template.New("install").Parse(`#!/bin/sh
# homelabcmd agent installer.
# Usage: curl -fsSL HUB/api/v1/agents/register/install.sh | sudo sh -s -- --token hlh_rt_… [options]
#   --server-id ID   the server's id on the hub (default: the short hostname)
#   --arch ARCH      amd64, arm64 or armv7 (default: from uname -m)
#   --bin-dir DIR    where the binary goes (default /usr/local/bin)
#   --no-start       write the config and unit but do not start the service
#                    (automatic when systemd is not running)
#   -- ARGS…         passed on to 'agent install' (e.g. --config FILE --unit FILE)
set -eu
HUB={{.Hub}}
TOKEN=""
SERVER_ID="$(hostname -s 2>/dev/null | tr 'A-Z_.' 'a-z--' | tr -cd 'a-z0-9-')"
ARCH=""
BIN_DIR=/usr/local/bin
NO_START=""
fail() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --token|--server-id|--hub|--arch|--bin-dir)
      [ $# -ge 2 ] || { echo "install.sh: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --token) TOKEN="$2" ;;
        --server-id) SERVER_ID="$2" ;;
        --hub) HUB="$2" ;;
        --arch) ARCH="$2" ;;
        --bin-dir) BIN_DIR="$2" ;;
      esac
      shift 2 ;;
    --no-start) NO_START=1; shift ;;
    --) shift; break ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$TOKEN" ] || { echo "install.sh: --token is required (create one in the dashboard: Add server)" >&2; exit 2; }
[ -n "$SERVER_ID" ] || fail "cannot derive a server id from the hostname; pass --server-id"
if [ -z "$ARCH" ]; then
  case "$(uname -m)" in
    x86_64|amd64) ARCH=amd64 ;;
    aarch64|arm64) ARCH=arm64 ;;
    armv7*|armv8l) ARCH=armv7 ;;
    armv6*|armv5*) fail "$(uname -m) is not supported: the agent needs ARMv7 or newer (Raspberry Pi 2 and later)" ;;
    *) fail "unsupported architecture $(uname -m) (supported: x86_64, aarch64, armv7)" ;;
  esac
fi
[ -d "$BIN_DIR" ] && [ -w "$BIN_DIR" ] || fail "cannot write to $BIN_DIR: run as root (... | sudo sh -s -- ...) or choose --bin-dir"
command -v curl >/dev/null 2>&1 || fail "curl is needed"
if command -v sha256sum >/dev/null 2>&1; then SUM="sha256sum"
elif command -v shasum >/dev/null 2>&1; then SUM="shasum -a 256"
else fail "neither sha256sum nor shasum is installed: cannot verify the download"
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
curl -fsS -o "$TMP/sha256" "$HUB/api/v1/agents/download/$ARCH/sha256" ||
  fail "the hub at $HUB has no agent for linux/$ARCH, or cannot be reached (its agents_dir needs homelabcmd-agent-linux-$ARCH from a release)"
read -r WANT NAME < "$TMP/sha256" || fail "the hub sent no checksum"
case "$NAME" in
  homelabcmd-agent-*) BIN="$BIN_DIR/homelabcmd-agent"; SUB="install" ;;
  homelabcmd)
    BIN="$BIN_DIR/homelabcmd"; SUB="agent install"
    echo "install.sh: the hub has no slim agent for linux/$ARCH (homelabcmd-agent-linux-$ARCH in its agents_dir), so this installs the hub's own binary: the heavier path (about 17 MB RSS against 11 MB)" >&2 ;;
  *) fail "the hub named an unexpected file: $NAME" ;;
esac
curl -fsS -o "$BIN.new" "$HUB/api/v1/agents/download/$ARCH" || { rm -f "$BIN.new"; fail "downloading $NAME from $HUB failed"; }
GOT="$($SUM "$BIN.new" | cut -d' ' -f1)"
if [ "$GOT" != "$WANT" ]; then
  rm -f "$BIN.new"
  fail "checksum mismatch for $NAME: the hub announced $WANT, the download is $GOT; nothing installed"
fi
chmod 0755 "$BIN.new"
"$BIN.new" --version >/dev/null 2>&1 || { rm -f "$BIN.new"; fail "$NAME does not run on this machine ($(uname -m)); nothing installed"; }
mv -f "$BIN.new" "$BIN"
echo "install.sh: installed $BIN ($NAME, sha256 $WANT)" >&2
if [ -z "$NO_START" ] && [ ! -d /run/systemd/system ]; then
  echo "install.sh: systemd is not running here: writing the config and unit without starting them" >&2
  NO_START=1
fi
[ -z "$NO_START" ] || set -- --no-start "$@"
# $SUB is one or two words on purpose.
"$BIN" $SUB --hub "$HUB" --registration-token "$TOKEN" --server-id "$SERVER_ID" --binary "$BIN" "$@"
`))

// handleInstallScript serves install.sh. It is piped to `sudo sh`, so the
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
