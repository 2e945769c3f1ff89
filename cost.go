package homelabcmd

import (
	"context"
	"encoding/json"
	"time"
)

// CostConfig is the original's electricity cost setting.
type CostConfig struct {
	ElectricityRate float64    `json:"electricity_rate"`
	CurrencySymbol  string     `json:"currency_symbol"`
	UpdatedAt       *time.Time `json:"updated_at"`
}

// CostConfigKey is where CostConfig is stored (the original's key).
const CostConfigKey = "cost"

// LoadCostConfig reads the cost setting with get (a store's GetConfig),
// or the original's defaults (0.24 £/kWh) when none is stored.
func LoadCostConfig(ctx context.Context, get func(context.Context, string) (string, bool, error)) (CostConfig, error) {
	c := CostConfig{ElectricityRate: 0.24, CurrencySymbol: "£"}
	v, ok, err := get(ctx, CostConfigKey)
	if err != nil || !ok {
		return c, err
	}
	return c, json.Unmarshal([]byte(v), &c)
}

// DailyCost is a server's finished UTC day priced at the rate and
// currency of that day (the original's capture_daily_costs): past days
// keep their cost when the rate changes later.
type DailyCost struct {
	ServerID string `json:"server_id"`
	DayCost
	Rate           float64   `json:"electricity_rate"`
	CurrencySymbol string    `json:"currency_symbol"`
	CapturedAt     time.Time `json:"captured_at"`
}
