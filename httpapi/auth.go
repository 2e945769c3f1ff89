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

// operator wraps handlers of the operator API: X-API-Key or a session cookie.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.apiKeyValid(r.Header.Get("X-API-Key")) {
			h(w, r)
			return
		}
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			ok, err := s.store.SessionValid(r.Context(), c.Value)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if ok {
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

// handleLogin exchanges the API key for an HttpOnly session cookie, so the
// dashboard never keeps the key in the page, the URL or local storage.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIKey string `json:"api_key"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.apiKeyValid(body.APIKey) {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EUNAUTHORIZED, "Invalid API key"))
		return
	}
	token, err := s.store.CreateSession(r.Context(), sessionTTL)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.store.DeleteSession(r.Context(), c.Value); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// handleSession answers 200 for a signed-in caller (the operator wrapper
// already refused everyone else with 401).
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"authenticated": true})
}
