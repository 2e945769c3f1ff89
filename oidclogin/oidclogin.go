// Package oidclogin signs dashboard users in through an OpenID Connect
// provider (authorization code flow with PKCE, state and nonce) and maps a
// claim of theirs to a homelabcmd role.
package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/homelabcmd/homelabcmd"
)

// Config is how the hub talks to its OpenID provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RoleClaim names the claim (a string or a list of strings, e.g.
	// "groups") whose values Roles maps to roles.
	RoleClaim string
	// Roles maps claim values to roles; a user gets the highest role any of
	// their values maps to, and is refused when none does.
	Roles map[string]homelabcmd.Role
}

// ParseRoles reads "value=role,value=role" (e.g.
// "homelab-admins=admin,family=viewer"). EINVALID.
func ParseRoles(s string) (map[string]homelabcmd.Role, error) {
	out := map[string]homelabcmd.Role{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		value, role, ok := strings.Cut(pair, "=")
		value, role = strings.TrimSpace(value), strings.TrimSpace(role)
		if !ok || value == "" || !homelabcmd.Role(role).Valid() {
			return nil, homelabcmd.Errorf(homelabcmd.EINVALID, "%q: want claim-value=role with role viewer, operator or admin", pair)
		}
		out[value] = homelabcmd.Role(role)
	}
	if len(out) == 0 {
		return nil, homelabcmd.Errorf(homelabcmd.EINVALID, "no claim value is mapped to a role")
	}
	return out, nil
}

// Identity is who the provider vouched for.
type Identity struct {
	Subject  string // issuer + " " + sub: unique across providers
	Username string
	Role     homelabcmd.Role
}

// Provider signs users in at one OpenID provider. It discovers the
// provider on first use (and again after a failure), so the hub starts
// even while the provider is down.
type Provider struct {
	cfg    Config
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// New returns a Provider; client is used for every call to the provider
// (nil: http.DefaultClient).
func New(cfg Config, client *http.Client) *Provider {
	if client == nil {
		client = http.DefaultClient
	}
	return &Provider{cfg: cfg, client: client}
}

func (p *Provider) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID provider %s: %w", p.cfg.Issuer, err)
	}
	p.provider = op
	return op, nil
}

func (p *Provider) oauth(op *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: op.Endpoint(),
		RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

// AuthURL is where to send the browser to sign in.
func (p *Provider) AuthURL(ctx context.Context, redirectURL, state, nonce, verifier string) (string, error) {
	op, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return p.oauth(op, redirectURL).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// ErrRefused is an identity the provider vouched for but the hub does not
// let in; its message is safe to show.
var ErrRefused = errors.New("refused")

// Exchange trades the code for tokens, verifies the ID token (signature,
// issuer, audience, expiry, nonce), reads the claims (from the ID token,
// then the userinfo endpoint for what it lacks) and maps the role.
func (p *Provider) Exchange(ctx context.Context, redirectURL, code, verifier, nonce string) (*Identity, error) {
	op, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth(op, redirectURL).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the provider sent no ID token")
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify the ID token: %w", err)
	}
	if idt.Nonce != nonce {
		return nil, errors.New("the ID token's nonce does not match")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, err
	}
	if claims[p.cfg.RoleClaim] == nil || (claims["preferred_username"] == nil && claims["email"] == nil) {
		if op.UserInfoEndpoint() != "" {
			ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				return nil, fmt.Errorf("read userinfo: %w", err)
			}
			if ui.Subject != idt.Subject {
				return nil, errors.New("userinfo is about another subject")
			}
			more := map[string]any{}
			if err := ui.Claims(&more); err != nil {
				return nil, err
			}
			for k, v := range more {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	role, ok := MapRole(claims[p.cfg.RoleClaim], p.cfg.Roles)
	if !ok {
		return nil, fmt.Errorf("%w: your account has no role on this hub (its %q claim maps to none)", ErrRefused, p.cfg.RoleClaim)
	}
	name, _ := claims["preferred_username"].(string)
	if name == "" {
		name, _ = claims["email"].(string)
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if err := homelabcmd.ValidateUsername(name); err != nil {
		return nil, fmt.Errorf("%w: your user name %q cannot be used here (%s)", ErrRefused, name, homelabcmd.ErrorMessage(err))
	}
	return &Identity{Subject: idt.Issuer + " " + idt.Subject, Username: name, Role: role}, nil
}

// MapRole returns the highest role that any value of claim (a string or a
// list of strings) maps to.
func MapRole(claim any, roles map[string]homelabcmd.Role) (homelabcmd.Role, bool) {
	var values []string
	switch c := claim.(type) {
	case string:
		values = []string{c}
	case []any:
		for _, v := range c {
			if s, ok := v.(string); ok {
				values = append(values, s)
			}
		}
	case []string:
		values = c
	}
	var best homelabcmd.Role
	for _, v := range values {
		if r, ok := roles[v]; ok && (best == "" || r.Allows(best)) {
			best = r
		}
	}
	return best, best != ""
}
