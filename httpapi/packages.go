package httpapi

import (
	"context"
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// PackageStore keeps the upgradable packages agents report.
type PackageStore interface {
	PendingPackages(ctx context.Context, serverID string) ([]homelabcmd.PendingPackage, error)
}

// handleServerPackages lists a server's upgradable packages in the
// original's shape (last_checked is the server's last heartbeat, as there).
func (s *Server) handleServerPackages(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	list, err := s.store.PendingPackages(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	srv, err := s.store.FindServer(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	security := 0
	for _, p := range list {
		if p.IsSecurity {
			security++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"server_id": id, "last_checked": srv.LastSeen,
		"total_count": len(list), "security_count": security, "packages": list})
}
