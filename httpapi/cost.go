package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// costConfig is the original's electricity cost setting.
type costConfig = homelabcmd.CostConfig

const costKey = homelabcmd.CostConfigKey

func (s *Server) costConfig(ctx context.Context) (costConfig, error) {
	return homelabcmd.LoadCostConfig(ctx, s.store.GetConfig)
}

// handleGetCost is the original's GET /config/cost.
func (s *Server) handleGetCost(w http.ResponseWriter, r *http.Request) {
	c, err := s.costConfig(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handlePutCost is the original's PUT /config/cost: partial,
// electricity_rate (≥ 0, per kWh) and currency_symbol (≤ 10 characters).
func (s *Server) handlePutCost(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ElectricityRate *float64 `json:"electricity_rate"`
		CurrencySymbol  *string  `json:"currency_symbol"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if v := body.ElectricityRate; v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 || *v > 1000) {
		s.writeError(w, r, homelabcmd.FieldError("electricity_rate", "electricity_rate must be between 0 and 1000 per kWh"))
		return
	}
	if v := body.CurrencySymbol; v != nil {
		if len(*v) > 10 {
			s.writeError(w, r, homelabcmd.FieldError("currency_symbol", "currency_symbol must be at most 10 characters"))
			return
		}
		if err := homelabcmd.CheckText("currency_symbol", *v, 10); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	c, err := s.costConfig(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.ElectricityRate != nil {
		c.ElectricityRate = *body.ElectricityRate
	}
	if body.CurrencySymbol != nil {
		c.CurrencySymbol = *body.CurrencySymbol
	}
	now := time.Now().UTC()
	c.UpdatedAt = &now
	b, _ := json.Marshal(c)
	if err := s.store.SetConfig(r.Context(), costKey, string(b)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
