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
	return key != "" && homelabcmd.SecretMatches(key, s.operatorKeyHash())
}

// sessionCredential is what a session opened with the operator key is bound
// to: a hash of the key's hash. A session made with one key is not valid
// with another, so rotating the key signs those browsers out.
func (s *Server) sessionCredential() string {
	return homelabcmd.HashSecret("web-session:" + s.operatorKeyHash())
}

// safeMethod reports whether the method only reads.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// apiKeyPrincipal is the operator key: an admin token named "api-key".
var apiKeyPrincipal = homelabcmd.Principal{Name: homelabcmd.ActorAPIKey, Role: homelabcmd.RoleAdmin, Kind: homelabcmd.PrincipalAPIKey}

// authenticate finds who calls: the operator key or a scoped API token (in
// X-API-Key or "Authorization: Bearer"), else a session cookie. A presented
// header credential that is wrong is refused without trying the cookie.
// viaCookie tells that the session cookie identified the caller. A wrong
// header credential counts towards the client's failed-authentication
// limit. EUNAUTHORIZED.
func (s *Server) authenticate(r *http.Request) (p *homelabcmd.Principal, viaCookie bool, err error) {
	cred := strings.TrimSpace(r.Header.Get("X-API-Key"))
	if cred == "" {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			cred = strings.TrimSpace(v)
		}
	}
	if cred != "" {
		if s.apiKeyValid(cred) {
			p := apiKeyPrincipal
			return &p, false, nil
		}
		var err error = homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid API key or token")
		if strings.HasPrefix(cred, homelabcmd.PrefixAPIToken) {
			p, err = s.store.VerifyAPIToken(r.Context(), cred)
		}
		if homelabcmd.ErrorCode(err) == homelabcmd.EUNAUTHORIZED {
			s.authFailed(r, "api_key")
		}
		return p, false, err
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, err := s.store.SessionPrincipal(r.Context(), c.Value, s.sessionCredential())
		if err != nil || p != nil {
			return p, true, err
		}
	}
	return nil, false, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing API key")
}

// authorize wraps a handler that needs at least role need: it authenticates
// the caller, refuses a lesser role with 403, and puts the principal in the
// request's context for the handler (audit names, "me"). A cookie-signed-in
// request that changes something must come from the hub's own pages
// (Origin / Sec-Fetch-Site): the browser sends the cookie along with
// requests that same-site pages forge.
func (s *Server) authorize(need homelabcmd.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.authThrottled(w, r) {
			return
		}
		p, viaCookie, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if viaCookie && !safeMethod(r.Method) {
			if err := checkSameOrigin(r); err != nil {
				s.writeError(w, r, err)
				return
			}
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
	if err := s.authThrottle(r); err != nil {
		return "", err
	}
	token := strings.TrimSpace(r.Header.Get("X-Agent-Token"))
	guid := strings.TrimSpace(r.Header.Get("X-Server-GUID"))
	if token != "" && guid != "" {
		id, err := s.store.VerifyAgentToken(r.Context(), guid, token)
		if homelabcmd.ErrorCode(err) == homelabcmd.EUNAUTHORIZED {
			s.authFailed(r, "agent_token")
		}
		return id, err
	}
	if key := r.Header.Get("X-API-Key"); key != "" {
		if s.apiKeyValid(key) {
			return "", nil
		}
		s.authFailed(r, "api_key")
	}
	return "", homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing authentication")
}

// handleLogin opens a dashboard session with a user name and password, or
// with the operator key, and sets it as an HttpOnly cookie, so the
// dashboard never keeps a credential in the page, the URL or local storage.
// The route is open, so its body is read with the small limit, and each
// wrong credential counts towards the client's failed-authentication limit.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.authThrottled(w, r) {
		return
	}
	if err := checkSameOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		APIKey   string `json:"api_key"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSONLimit(w, r, &body, maxOpenBodyBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	var userID int64
	switch {
	case body.Username != "" || body.Password != "":
		if len(body.Password) > homelabcmd.MaxPasswordLen {
			s.authFailed(r, "password")
			s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid user name or password"))
			return
		}
		u, err := s.store.Authenticate(r.Context(), body.Username, body.Password)
		if err != nil {
			if homelabcmd.ErrorCode(err) == homelabcmd.EUNAUTHORIZED {
				s.authFailed(r, "password")
			}
			s.writeError(w, r, err)
			return
		}
		userID = u.ID
	case !s.apiKeyValid(body.APIKey):
		s.authFailed(r, "sign-in key")
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
	token, err := s.store.CreateSession(r.Context(), sessionTTL, userID, s.sessionCredential())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.isHTTPS(r), MaxAge: int(sessionTTL.Seconds())})
	return nil
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.isHTTPS(r), MaxAge: -1})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := checkSameOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.store.DeleteSession(r.Context(), c.Value); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w, r)
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
	s.clearSessionCookie(w, r)
	writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}
