package httpapi

import (
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// maxTokenDays bounds a token's lifetime when one is given.
const maxTokenDays = 3650

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.ListAPITokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list, "total": len(list)})
}

// handleCreateToken creates a scoped API token and shows its secret, once.
// expires_in_days (1–3650) sets an expiry; without it the token lasts
// until it is deleted.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name          string          `json:"name"`
		Role          homelabcmd.Role `json:"role"`
		ExpiresInDays *int            `json:"expires_in_days"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	t := homelabcmd.APIToken{Name: body.Name, Role: body.Role, CreatedBy: actor(r)}
	if d := body.ExpiresInDays; d != nil {
		if *d < 1 || *d > maxTokenDays {
			s.writeError(w, r, homelabcmd.FieldError("expires_in_days", "expires_in_days must be 1 to %d", maxTokenDays))
			return
		}
		at := time.Now().UTC().Add(time.Duration(*d) * 24 * time.Hour)
		t.ExpiresAt = &at
	}
	tok, secret, err := s.store.CreateAPIToken(r.Context(), t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("api token created", "token", tok.Name, "role", tok.Role, "by", tok.CreatedBy)
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "secret": secret})
}

func (s *Server) handleDeleteToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "tkid", "token")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteAPIToken(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("api token deleted", "id", id, "by", actor(r))
	w.WriteHeader(http.StatusNoContent)
}
