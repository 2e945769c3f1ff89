package httpapi

import (
	"net/http"

	"github.com/homelabcmd/homelabcmd"
)

// alertKindResponse is one row of the table of alert kinds as
// GET /alerts/kinds shows it, so the dashboard need not repeat the table.
type alertKindResponse struct {
	Name         string              `json:"name"`
	Label        string              `json:"label"`
	PerService   bool                `json:"per_service"`
	ThresholdKey *string             `json:"threshold_key"`
	Hint         string              `json:"hint"`
	Metric       *metricKindResponse `json:"metric"`
}

// metricKindResponse is a metric kind's unit, heartbeat field and defaults.
type metricKindResponse struct {
	Unit             string `json:"unit"`
	Field            string `json:"field"`
	HighPercent      int    `json:"high_percent"`
	CriticalPercent  int    `json:"critical_percent"`
	SustainedSeconds int    `json:"sustained_seconds"`
}

func alertKindsResponse() []alertKindResponse {
	kinds := homelabcmd.AlertKinds()
	out := make([]alertKindResponse, len(kinds))
	for i, k := range kinds {
		out[i] = alertKindResponse{Name: k.Name, Label: k.Label, PerService: k.PerService, Hint: k.Hint}
		if k.ThresholdKey != "" {
			out[i].ThresholdKey = &k.ThresholdKey
		}
		if m := k.Metric; m != nil {
			out[i].Metric = &metricKindResponse{Unit: m.Unit, Field: m.Field,
				HighPercent: m.HighPercent, CriticalPercent: m.CriticalPercent, SustainedSeconds: m.SustainedSeconds}
		}
	}
	return out
}

func (s *Server) handleAlertKinds(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"kinds": alertKindsResponse()})
}
