package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// sessionCookie holds a dashboard session token (HttpOnly, SameSite=Strict,
// Secure when the browser reached the hub over HTTPS).
const sessionCookie = "homelabcmd_session"

// sessionTTL is how long a dashboard sign-in lasts.
const sessionTTL = 30 * 24 * time.Hour

// apiKeyValid compares a presented key with the operator key in constant time.
func (s *Server) apiKeyValid(key string) bool {
	key = strings.TrimSpace(key)
	return key != "" && homelabcmd.SecretMatches(key, s.operatorKeyHash())
}

// sessionCredential is what a session is bound to: a hash of the operator
// key's hash. A session made with one key is not valid with another, so
// rotating the key signs every browser out.
func (s *Server) sessionCredential() string {
	return homelabcmd.HashSecret("web-session:" + s.operatorKeyHash())
}

// safeMethod reports whether the method only reads.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// operator wraps handlers of the operator API: X-API-Key or a session
// cookie. A cookie-authenticated request that changes something must come
// from the hub's own pages (Origin / Sec-Fetch-Site), since the browser
// sends the cookie along with requests that same-site pages forge.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.authThrottled(w, r) {
			return
		}
		if key := r.Header.Get("X-API-Key"); key != "" {
			if s.apiKeyValid(key) {
				h(w, r)
				return
			}
			s.authFailed(r, "api_key")
			s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing API key"))
			return
		}
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			ok, err := s.store.SessionValid(r.Context(), c.Value, s.sessionCredential())
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if ok {
				if !safeMethod(r.Method) {
					if err := checkSameOrigin(r); err != nil {
						s.writeError(w, r, err)
						return
					}
				}
				h(w, r)
				return
			}
		}
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid or missing API key"))
	}
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

// handleLogin exchanges the API key for an HttpOnly session cookie, so the
// dashboard never keeps the key in the page, the URL or local storage. The
// route is open, so its body is read with the small limit.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.authThrottled(w, r) {
		return
	}
	if err := checkSameOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		APIKey string `json:"api_key"`
	}
	if err := decodeJSONLimit(w, r, &body, maxOpenBodyBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.apiKeyValid(body.APIKey) {
		s.authFailed(r, "sign-in key")
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid API key"))
		return
	}
	token, err := s.store.CreateSession(r.Context(), sessionTTL, s.sessionCredential())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.isHTTPS(r), MaxAge: int(sessionTTL.Seconds())})
	w.WriteHeader(http.StatusNoContent)
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
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.isHTTPS(r), MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// handleSession answers 200 for a signed-in caller (the operator wrapper
// already refused everyone else with 401).
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"authenticated": true})
}
