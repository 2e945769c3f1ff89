package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// UserStore keeps accounts, their sessions and scoped API tokens; passwords
// and secrets only ever as hashes.
type UserStore interface {
	CreateUser(ctx context.Context, username string, role homelabcmd.Role, passwordHash string) (*homelabcmd.User, error)
	CreateFirstUser(ctx context.Context, username, passwordHash string) (*homelabcmd.User, error)
	UserCount(ctx context.Context) (int, error)
	ListUsers(ctx context.Context) ([]*homelabcmd.User, error)
	UpdateUser(ctx context.Context, username string, role *homelabcmd.Role, passwordHash *string) (*homelabcmd.User, error)
	DeleteUser(ctx context.Context, username string, force bool) error
	Authenticate(ctx context.Context, username, password string) (*homelabcmd.User, error)
	SignInOIDC(ctx context.Context, subject, username string, role homelabcmd.Role) (*homelabcmd.User, error)

	CreateSession(ctx context.Context, ttl time.Duration, userID int64, credential string) (string, error)
	SessionPrincipal(ctx context.Context, token, credential string) (*homelabcmd.Principal, error)
	ListSessions(ctx context.Context) ([]*homelabcmd.Session, error)
	DeleteSession(ctx context.Context, token string) error
	DeleteSessionByID(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, username string) (int64, error)

	CreateAPIToken(ctx context.Context, t homelabcmd.APIToken) (*homelabcmd.APIToken, string, error)
	ListAPITokens(ctx context.Context) ([]*homelabcmd.APIToken, error)
	DeleteAPIToken(ctx context.Context, id int64) error
	VerifyAPIToken(ctx context.Context, secret string) (*homelabcmd.Principal, error)
}

// handleSetupStatus tells the sign-in page whether the first-run setup
// (create the first admin) is still open, and whether single sign-on is.
func (s *Server) handleSetupStatus(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.UserCount(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"needed": n == 0, "sso": s.SSO != nil})
}

type userRequest struct {
	Username string           `json:"username"`
	Password *string          `json:"password"`
	Role     *homelabcmd.Role `json:"role"`
}

// passwordHash validates a new password and hashes it. EINVALID.
func passwordHash(pw *string) (string, error) {
	if pw == nil {
		return "", homelabcmd.FieldError("password", "password is required")
	}
	if err := homelabcmd.ValidatePassword(*pw); err != nil {
		return "", err
	}
	return homelabcmd.HashPassword(*pw), nil
}

// handleSetup creates the first admin while no user exists, and signs the
// browser in as that user. Once any user exists it answers 409.
//
// It needs no credential, so it refuses what another site can make a
// browser send (a cross-site request, a body that is not declared JSON):
// else a page visited on the LAN could claim a fresh hub's admin account.
func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EFORBIDDEN, "Setup must come from the hub's own page"))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Content-Type must be application/json"))
		return
	}
	var body userRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if n, err := s.store.UserCount(r.Context()); err != nil || n > 0 {
		if err == nil {
			err = homelabcmd.Errorf(homelabcmd.ECONFLICT, "Setup is done: a user exists already; sign in instead")
		}
		s.writeError(w, r, err)
		return
	}
	if err := homelabcmd.ValidateUsername(body.Username); err != nil {
		s.writeError(w, r, err)
		return
	}
	hash, err := passwordHash(body.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.store.CreateFirstUser(r.Context(), body.Username, hash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("first-run setup created the admin", "user", u.Username)
	if err := s.startSession(w, r, u.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": list, "total": len(list)})
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var body userRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := homelabcmd.ValidateUsername(body.Username); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Role == nil {
		s.writeError(w, r, homelabcmd.FieldError("role", "role is required (viewer, operator or admin)"))
		return
	}
	if err := homelabcmd.ValidateRole("role", *body.Role); err != nil {
		s.writeError(w, r, err)
		return
	}
	hash, err := passwordHash(body.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.store.CreateUser(r.Context(), body.Username, *body.Role, hash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("user created", "user", u.Username, "role", u.Role, "by", actor(r))
	writeJSON(w, http.StatusCreated, u)
}

// handleUpdateUser changes a user's role and/or password (only the fields
// given); a new password ends the user's sessions.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	var body userRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	var hash *string
	if body.Password != nil {
		h, err := passwordHash(body.Password)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		hash = &h
	}
	if body.Role != nil {
		if err := homelabcmd.ValidateRole("role", *body.Role); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	u, err := s.store.UpdateUser(r.Context(), r.PathValue("user"), body.Role, hash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("user updated", "user", u.Username, "role", u.Role, "password_changed", hash != nil, "by", actor(r))
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleDeleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteUser(r.Context(), r.PathValue("user"), false); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("user deleted", "user", r.PathValue("user"), "by", actor(r))
	w.WriteHeader(http.StatusNoContent)
}

// handleSignOutUser ends every session of a user.
func (s *Server) handleSignOutUser(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.DeleteUserSessions(r.Context(), r.PathValue("user"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}

func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListSessions(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list, "total": len(list)})
}

func (s *Server) handleDeleteSession(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSessionByID(r.Context(), r.PathValue("sid")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
