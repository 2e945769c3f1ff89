package httpapi

import (
	"context"
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// InventoryStore keeps the units each server's agent can see.
type InventoryStore interface {
	SaveUnitInventory(ctx context.Context, serverID string, units []homelabcmd.AvailableUnit, monitored []string) ([]string, error)
	FindUnitInventory(ctx context.Context, serverID string) (*homelabcmd.UnitInventory, error)
}

// saveInventory stores a heartbeat's unit inventory and adopts the agent's
// monitored services, after the heartbeat itself committed. A failure is
// logged, not answered: the heartbeat was taken and the agent sends its
// inventory again later.
func (s *Server) saveInventory(ctx context.Context, serverID string, hb *homelabcmd.Heartbeat) {
	added, err := s.store.SaveUnitInventory(context.WithoutCancel(ctx), serverID, hb.AvailableUnits, hb.MonitoredServices)
	if err != nil {
		s.logger.Warn("storing the unit inventory failed", "server", serverID, "err", err)
		return
	}
	if len(added) > 0 {
		s.logger.Info("the agent's monitored services are now expected services", "server", serverID, "services", added)
	}
}

// handleServerUnits lists the units the server's agent last reported, for
// the "Add service" picker.
func (s *Server) handleServerUnits(w http.ResponseWriter, r *http.Request) {
	inv, err := s.store.FindUnitInventory(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}
