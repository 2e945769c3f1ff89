package homelabcmd

import (
	"fmt"
	"time"
)

// Bounds of a unit inventory in a heartbeat: a busy host has a few hundred
// service units; descriptions are cut, not refused.
const (
	MaxAvailableUnits     = 1000
	MaxUnitDescriptionLen = 200
)

// Unit kinds of an inventory. Only systemd services are reported today;
// containers would be another kind.
const (
	UnitKindService = "service"
)

// AvailableUnit is one unit an agent can see (systemd's name and
// description), offered by the dashboard's "Add service" picker.
type AvailableUnit struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Kind is "service" when empty.
	Kind string `json:"kind,omitempty"`
}

// UnitInventory is the latest inventory a server's agent reported.
// ReportedAt is nil before the first; AdoptedAt is when the agent's
// monitored services became expected services (once per server).
type UnitInventory struct {
	ServerID   string          `json:"server_id"`
	Units      []AvailableUnit `json:"units"`
	ReportedAt *time.Time      `json:"reported_at"`
	AdoptedAt  *time.Time      `json:"adopted_at"`
}

// HasInventory tells whether the heartbeat carries an inventory or the
// agent's monitored services (sent at a low rate, not with every beat).
func (h *Heartbeat) HasInventory() bool {
	return h.AvailableUnits != nil || len(h.MonitoredServices) > 0
}

// validateInventory checks available_units and monitored_services. EINVALID.
func (h *Heartbeat) validateInventory() error {
	if len(h.AvailableUnits) > MaxAvailableUnits {
		return FieldError("available_units", "at most %d units, not %d", MaxAvailableUnits, len(h.AvailableUnits))
	}
	for i := range h.AvailableUnits {
		u := &h.AvailableUnits[i]
		p := fmt.Sprintf("available_units.%d", i)
		if err := ValidateUnitName(u.Name); err != nil {
			return FieldError(p+".name", "%s", ErrorMessage(err))
		}
		if u.Kind == "" {
			u.Kind = UnitKindService
		}
		if u.Kind != UnitKindService {
			return FieldError(p+".kind", "kind must be %q", UnitKindService)
		}
		u.Description = SanitizeText(u.Description)
		if r := []rune(u.Description); len(r) > MaxUnitDescriptionLen {
			u.Description = string(r[:MaxUnitDescriptionLen])
		}
	}
	if len(h.MonitoredServices) > MaxServicesPerHeartbeat {
		return FieldError("monitored_services", "at most %d services", MaxServicesPerHeartbeat)
	}
	for i, n := range h.MonitoredServices {
		if err := ValidateUnitName(n); err != nil {
			return FieldError(fmt.Sprintf("monitored_services.%d", i), "%s", ErrorMessage(err))
		}
	}
	return nil
}
