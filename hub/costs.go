package hub

import (
	"context"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// CostStore is what the daily cost snapshot needs of the store.
type CostStore interface {
	GetConfig(ctx context.Context, key string) (string, bool, error)
	ListServers(ctx context.Context) ([]*homelabcmd.Server, error)
	HourlyCPU(ctx context.Context, serverID string, from time.Time) (map[string][]homelabcmd.HourCPU, error)
	PutDailyCosts(ctx context.Context, costs []homelabcmd.DailyCost) (int, error)
}

// CostCatchUpDays is how many finished days a snapshot run covers, so that
// days missed while no hub ran are still taken (at the rate of the run).
const CostCatchUpDays = 7

// CaptureDailyCosts stores each server's cost for the finished UTC days
// before now (the last CostCatchUpDays) at the current rate and currency
// (the original's capture_daily_costs). Days already stored are kept, so
// it can run hourly and on several hubs: each day is priced once, by the
// first run after it ended. It returns how many days it stored.
func CaptureDailyCosts(ctx context.Context, st CostStore, now time.Time) (int, error) {
	cfg, err := homelabcmd.LoadCostConfig(ctx, st.GetConfig)
	if err != nil {
		return 0, err
	}
	to := now.UTC().Truncate(24 * time.Hour) // today 00:00: only finished days
	from := to.AddDate(0, 0, -CostCatchUpDays)
	servers, err := st.ListServers(ctx)
	if err != nil {
		return 0, err
	}
	hours, err := st.HourlyCPU(ctx, "", from)
	if err != nil {
		return 0, err
	}
	var snaps []homelabcmd.DailyCost
	for _, s := range servers {
		for _, d := range homelabcmd.EstimateDays(s, hours[s.ID], from, to, cfg.ElectricityRate) {
			if d.HoursOnline == 0 && d.CPUAvg == nil {
				continue // before the server existed
			}
			snaps = append(snaps, homelabcmd.DailyCost{ServerID: s.ID, DayCost: d, Rate: cfg.ElectricityRate, CurrencySymbol: cfg.CurrencySymbol})
		}
	}
	return st.PutDailyCosts(ctx, snaps)
}
