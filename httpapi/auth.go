package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// sessionCookie holds a dashboard session token (HttpOnly, SameSite=Strict).
const sessionCookie = "homelabcmd_session"

// sessionTTL is how long a dashboard sign-in lasts.
const sessionTTL = 30 * 24 * time.Hour

// apiKeyValid compares a presented key with the operator key in constant time.
func (s *Server) apiKeyValid(key string) bool {
	key = strings.TrimSpace(key)
	return key != "" && homelabcmd.SecretMatches(key, s.apiKeyHash)
}

// apiKeyPrincipal is the operator key: an admin token named "api-key".
var apiKeyPrincipal = homelabcmd.Principal{Name: homelabcmd.ActorAPIKey, Role: homelabcmd.RoleAdmin, Kind: homelabcmd.PrincipalAPIKey}

// authenticate finds who calls: the operator key or a scoped API token (in
// X-API-Key or "Authorization: Bearer"), else a session cookie. A presented
// header credential that is wrong is refused without trying the cookie.
// EUNAUTHORIZED.
func (s *Server) authenticate(r *http.Request) (*homelabcmd.Principal, error) {
	cred := strings.TrimSpace(r.Header.Get("X-API-Key"))
	if cred == "" {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			cred = strings.TrimSpace(v)
		}
	}
	if cred != "" {
		if s.apiKeyValid(cred) {
			p := apiKeyPrincipal
			return &p, nil
		}
		if strings.HasPrefix(cred, homelabcmd.PrefixAPIToken) {
			return s.store.VerifyAPIToken(r.Context(), cred)
		}
		return nil, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid API key or token")
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, err := s.store.SessionPrincipal(r.Context(), c.Value)
		if err != nil || p != nil {
			return p, err
		}
	}
	return nil, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing API key")
}

// authorize wraps a handler that needs at least role need: it authenticates
// the caller, refuses a lesser role with 403, and puts the principal in the
// request's context for the handler (audit names, "me").
func (s *Server) authorize(need homelabcmd.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !p.Role.Allows(need) {
			s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EFORBIDDEN, "This needs the %s role; %s has the %s role", need, p.Name, p.Role))
			return
		}
		h(w, r.WithContext(homelabcmd.WithPrincipal(r.Context(), p)))
	}
}

// actor is the audit name of the request's principal.
func actor(r *http.Request) string {
	if p := homelabcmd.PrincipalFrom(r.Context()); p != nil {
		return p.Name
	}
	return homelabcmd.ActorAPIKey
}

// agentAuth decides who sends a heartbeat: an agent token (bound to one
// server), or the operator key (legacy agents). A presented token that is
// wrong is refused without falling back to the key, as in the contract.
func (s *Server) agentAuth(r *http.Request) (boundServerID string, err error) {
	token := strings.TrimSpace(r.Header.Get("X-Agent-Token"))
	guid := strings.TrimSpace(r.Header.Get("X-Server-GUID"))
	if token != "" && guid != "" {
		return s.store.VerifyAgentToken(r.Context(), guid, token)
	}
	if s.apiKeyValid(r.Header.Get("X-API-Key")) {
		return "", nil
	}
	return "", homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing authentication")
}

// handleLogin opens a dashboard session with a user name and password, or
// with the operator key, and sets it as an HttpOnly cookie, so the
// dashboard never keeps a credential in the page, the URL or local storage.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIKey   string `json:"api_key"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	var userID int64
	switch {
	case body.Username != "" || body.Password != "":
		if len(body.Password) > homelabcmd.MaxPasswordLen {
			s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid user name or password"))
			return
		}
		u, err := s.store.Authenticate(r.Context(), body.Username, body.Password)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		userID = u.ID
	case !s.apiKeyValid(body.APIKey):
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid API key"))
		return
	}
	if err := s.startSession(w, r, userID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// startSession creates a session for userID (0: the operator key) and
// sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	token, err := s.store.CreateSession(r.Context(), sessionTTL, userID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
	return nil
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.store.DeleteSession(r.Context(), c.Value); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// handleSession tells a signed-in caller who it is (the route's role check
// already refused everyone else with 401).
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	p := homelabcmd.PrincipalFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"authenticated": true, "name": p.Name, "role": p.Role, "kind": p.Kind})
}

// handleSignOutEverywhere ends every session of the calling user, this one
// included. Only users have sessions of their own. EBADREQUEST.
func (s *Server) handleSignOutEverywhere(w http.ResponseWriter, r *http.Request) {
	p := homelabcmd.PrincipalFrom(r.Context())
	if p.Kind != homelabcmd.PrincipalUser {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Only a signed-in user can sign out everywhere; %s is not a user", p.Name))
		return
	}
	n, err := s.store.DeleteUserSessions(r.Context(), p.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	clearSessionCookie(w)
	writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}
