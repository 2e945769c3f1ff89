package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/oidclogin"
)

// SingleSignOn is the OpenID provider the dashboard may sign in with
// (package oidclogin).
type SingleSignOn interface {
	AuthURL(ctx context.Context, redirectURL, state, nonce, verifier string) (string, error)
	Exchange(ctx context.Context, redirectURL, code, verifier, nonce string) (*oidclogin.Identity, error)
}

// oidcCookie carries state, nonce, PKCE verifier and where to go next from
// the sign-in redirect to the callback. SameSite=Lax, because the callback
// is a top-level navigation coming back from the provider's site.
const oidcCookie = "homelabcmd_oidc"

const oidcPath = "/api/v1/auth/oidc/"

// ssoRedirectURL is the callback the provider sends the browser back to:
// under external_url when set, else at the host the browser used.
func (s *Server) ssoRedirectURL(r *http.Request) string {
	base := strings.TrimRight(s.ExternalURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + oidcPath + "callback"
}

// safeNext keeps only a local path to return to after signing in.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// handleOIDCLogin sends the browser to the OpenID provider. ENOTFOUND when
// single sign-on is not configured.
func (s *Server) handleOIDCLogin(w http.ResponseWriter, r *http.Request) {
	if s.SSO == nil {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Single sign-on is not configured on this hub"))
		return
	}
	state, nonce, verifier := homelabcmd.NewSecret(""), homelabcmd.NewSecret(""), homelabcmd.NewSecret("")
	target, err := s.SSO.AuthURL(r.Context(), s.ssoRedirectURL(r), state, nonce, verifier)
	if err != nil {
		s.logger.Error("single sign-on unavailable", "err", err)
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EBADREQUEST, "The single sign-on provider cannot be reached; try again or sign in with a password"))
		return
	}
	value := strings.Join([]string{state, nonce, verifier, url.QueryEscape(safeNext(r.URL.Query().Get("next")))}, ".")
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: value, Path: oidcPath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: int((10 * time.Minute).Seconds())})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// handleOIDCCallback finishes the sign-in: the state must match the
// cookie's, the provider's tokens must verify, and the claim must map to a
// role. Then the user (created on first sign-in) gets a session. Failures
// go back to the sign-in page with a message.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	fail := func(msg string) {
		http.Redirect(w, r, "/login?error="+url.QueryEscape(msg), http.StatusFound)
	}
	if s.SSO == nil {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Single sign-on is not configured on this hub"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcPath, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(oidcCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	q := r.URL.Query()
	if len(parts) != 4 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		fail("The sign-in expired or did not start here; try again.")
		return
	}
	if e := q.Get("error"); e != "" {
		s.logger.Warn("single sign-on refused by the provider", "error", e, "description", q.Get("error_description"))
		fail("The single sign-on provider refused the sign-in (" + truncateText(e, 64) + ").")
		return
	}
	id, err := s.SSO.Exchange(r.Context(), s.ssoRedirectURL(r), q.Get("code"), parts[2], parts[1])
	if err != nil {
		s.logger.Warn("single sign-on failed", "err", err)
		if errors.Is(err, oidclogin.ErrRefused) {
			fail(strings.TrimPrefix(err.Error(), oidclogin.ErrRefused.Error()+": "))
		} else {
			fail("Single sign-on failed; the hub's log says why.")
		}
		return
	}
	u, err := s.store.SignInOIDC(r.Context(), id.Subject, id.Username, id.Role)
	if err != nil {
		s.logger.Warn("single sign-on refused", "user", id.Username, "err", err)
		fail(homelabcmd.ErrorMessage(err))
		return
	}
	if err := s.startSession(w, r, u.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("signed in with single sign-on", "user", u.Username, "role", u.Role)
	next, _ := url.QueryUnescape(parts[3])
	http.Redirect(w, r, safeNext(next), http.StatusFound)
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
