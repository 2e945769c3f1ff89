package agentless

import (
	"context"
	"encoding/json"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/homelabcmd/homelabcmd"
)

// Tailscale OAuth clients: instead of an API key (which expires within 90
// days), an OAuth client's id and secret; the hub trades them for a short
// access token at the API's token endpoint (client credentials grant,
// POST /api/v2/oauth/token) before each use. The secret is sealed like
// every credential and never returned.

const tailscaleOAuthAAD = "tailscale_oauth_secret"

// tsOAuth is the stored client: the id in the clear, the secret sealed.
type tsOAuth struct {
	ClientID     string `json:"client_id"`
	SealedSecret string `json:"secret"`
}

func (s *Service) tailscaleOAuth(ctx context.Context) (*tsOAuth, error) {
	raw, err := s.store.RemoteSetting(ctx, "tailscale_oauth")
	if err != nil || raw == "" {
		return nil, err
	}
	var c tsOAuth
	return &c, json.Unmarshal([]byte(raw), &c)
}

// SetTailscaleOAuth stores an OAuth client (and the tailnet, "-" meaning
// the client's own); it is used instead of an API key. EINVALID.
func (s *Service) SetTailscaleOAuth(ctx context.Context, actor, clientID, secret, tailnet string) (*TailscaleStatus, error) {
	clientID = strings.TrimSpace(clientID)
	if clientID == "" || len(clientID) > 200 || strings.ContainsAny(clientID, " \r\n\t") {
		return nil, homelabcmd.FieldError("client_id", "client_id must be a Tailscale OAuth client id")
	}
	secret, tailnet, box, err := s.tailscaleSecret("client_secret", secret, "a Tailscale OAuth client secret (tskey-client-…)", tailnet)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(tsOAuth{ClientID: clientID, SealedSecret: box.Seal([]byte(secret), tailscaleOAuthAAD)})
	if err != nil {
		return nil, err
	}
	if err := s.store.PutRemoteSetting(ctx, "tailscale_oauth", string(b)); err != nil {
		return nil, err
	}
	if err := s.store.PutRemoteSetting(ctx, "tailscale_tailnet", tailnet); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "credential_set", Target: "tailscale", Credential: "tailscale oauth client " + clientID})
	return s.Tailscale(ctx)
}

// DeleteTailscaleOAuth removes the OAuth client. ENOTFOUND.
func (s *Service) DeleteTailscaleOAuth(ctx context.Context, actor string) error {
	c, err := s.tailscaleOAuth(ctx)
	if err != nil {
		return err
	}
	if c == nil {
		return homelabcmd.Errorf(homelabcmd.ENOTFOUND, "No Tailscale OAuth client is set")
	}
	if err := s.store.PutRemoteSetting(ctx, "tailscale_oauth", ""); err != nil {
		return err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "credential_delete", Target: "tailscale", Credential: "tailscale oauth client " + c.ClientID})
	return nil
}

// tailscaleBearer returns the bearer token for the API and names the
// credential (for the audit): an access token from the OAuth client when
// one is set, else the API key. The secrets it returns are never logged.
func (s *Service) tailscaleBearer(ctx context.Context) (token, cred string, secrets []string, err error) {
	box, err := s.keys()
	if err != nil {
		return "", "", nil, err
	}
	undecryptable := &homelabcmd.Error{Code: homelabcmd.EINTERNAL, Message: "The Tailscale credential cannot be decrypted with the key file",
		Data: map[string]any{"code": "NO_ENCRYPTION_KEY"}}
	c, err := s.tailscaleOAuth(ctx)
	if err != nil {
		return "", "", nil, err
	}
	if c != nil {
		secret, err := box.Open(c.SealedSecret, tailscaleOAuthAAD)
		if err != nil {
			return "", "", nil, undecryptable
		}
		cfg := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: string(secret),
			TokenURL: strings.TrimRight(s.TailscaleURL, "/") + "/api/v2/oauth/token", AuthStyle: oauth2.AuthStyleInParams}
		tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, s.HTTP))
		cred = "tailscale oauth client " + c.ClientID
		if err != nil {
			msg := redact(err.Error(), string(secret))
			return "", cred, nil, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Message: "The Tailscale OAuth client was refused: " + truncate(msg, 300),
				Data: map[string]any{"code": "TAILSCALE_ERROR"}}
		}
		return tok.AccessToken, cred, []string{string(secret), tok.AccessToken}, nil
	}
	sealed, err := s.store.RemoteSetting(ctx, "tailscale_token")
	if err != nil {
		return "", "", nil, err
	}
	key, err := box.Open(sealed, tailscaleAAD)
	if err != nil {
		return "", "", nil, undecryptable
	}
	return string(key), "tailscale api key", []string{string(key)}, nil
}
