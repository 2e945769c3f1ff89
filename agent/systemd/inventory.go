package systemd

import (
	"context"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
)

// Inventory pacing: the units are listed at most every InventoryCheck (on
// full heartbeats) and sent when they changed, or every InventoryResend
// regardless (so a hub that lost one catches up).
const (
	InventoryCheck  = 10 * time.Minute
	InventoryResend = 6 * time.Hour
)

// ServiceLister lists the service units systemd has loaded (Client).
type ServiceLister interface {
	ListServices(ctx context.Context) ([]homelabcmd.AvailableUnit, error)
}

// InventoryCollector adds the service units the agent can see, and its own
// monitored services, to a full heartbeat now and then: on start, on a
// change (checked every InventoryCheck) and every InventoryResend.
type InventoryCollector struct {
	units     ServiceLister
	monitored func() []string
	logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu       sync.Mutex
	checked  time.Time // last listing
	sent     time.Time // last time the inventory went out
	lastHash uint64
}

var _ collect.Collector = (*InventoryCollector)(nil)

// NewInventoryCollector returns the inventory collector; monitored gives
// the agent's configured monitored services.
func NewInventoryCollector(units ServiceLister, monitored func() []string, logger *slog.Logger) *InventoryCollector {
	return &InventoryCollector{units: units, monitored: monitored, logger: logger}
}

// Name identifies the collector in logs.
func (c *InventoryCollector) Name() string { return "inventory" }

// Collect lists the units when due and returns them when they changed or
// the resend time came; nothing otherwise.
func (c *InventoryCollector) Collect(ctx context.Context, full bool) (collect.Part, error) {
	if !full {
		return nil, nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	t := now()
	c.mu.Lock()
	due := c.checked.IsZero() || t.Sub(c.checked) >= InventoryCheck
	c.mu.Unlock()
	if !due {
		return nil, nil
	}
	units, err := c.units.ListServices(ctx)
	if err != nil {
		return nil, err
	}
	sum := hashUnits(units)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked = t
	if !c.sent.IsZero() && sum == c.lastHash && t.Sub(c.sent) < InventoryResend {
		return nil, nil
	}
	c.sent, c.lastHash = t, sum
	monitored := slices.Clone(c.monitored())
	return func(hb *homelabcmd.Heartbeat) {
		hb.AvailableUnits = units
		hb.MonitoredServices = monitored
	}, nil
}

func hashUnits(units []homelabcmd.AvailableUnit) uint64 {
	h := fnv.New64a()
	for _, u := range units {
		h.Write([]byte(u.Name))
		h.Write([]byte{0})
		h.Write([]byte(u.Description))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// Inventory turns systemd's unit list into the heartbeat's: loaded service
// units with a valid name, sorted, descriptions cut to the hub's bound, at
// most MaxAvailableUnits.
func Inventory(names, descriptions, loadStates []string) []homelabcmd.AvailableUnit {
	out := []homelabcmd.AvailableUnit{}
	for i, n := range names {
		if !strings.HasSuffix(n, ".service") || loadStates[i] == "not-found" || homelabcmd.ValidateUnitName(n) != nil {
			continue
		}
		d := homelabcmd.SanitizeText(descriptions[i])
		if r := []rune(d); len(r) > homelabcmd.MaxUnitDescriptionLen {
			d = string(r[:homelabcmd.MaxUnitDescriptionLen])
		}
		out = append(out, homelabcmd.AvailableUnit{Name: n, Description: d, Kind: homelabcmd.UnitKindService})
	}
	slices.SortFunc(out, func(a, b homelabcmd.AvailableUnit) int { return strings.Compare(a.Name, b.Name) })
	out = slices.CompactFunc(out, func(a, b homelabcmd.AvailableUnit) bool { return a.Name == b.Name })
	if len(out) > homelabcmd.MaxAvailableUnits {
		out = out[:homelabcmd.MaxAvailableUnits]
	}
	return out
}

// ListServices lists the loaded service units with their descriptions.
func (c *Client) ListServices(ctx context.Context) ([]homelabcmd.AvailableUnit, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.connLocked()
	if err != nil {
		return nil, err
	}
	st, err := conn.ListUnitsContext(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.dropLocked()
		}
		return nil, err
	}
	names, descs, loads := make([]string, len(st)), make([]string, len(st)), make([]string, len(st))
	for i, s := range st {
		names[i], descs[i], loads[i] = s.Name, s.Description, s.LoadState
	}
	return Inventory(names, descs, loads), nil
}
