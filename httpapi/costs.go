package httpapi

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Electricity cost estimates (the original's EP0005 routes; the shapes are
// our design, the contract names only the routes). Power per server is
// idle + (full - idle) × measured CPU use per day, from the server's
// idle_watts/tdp_watts or its category's defaults; servers count 24/7,
// workstations only the hours they reported. Finished days come from the
// daily snapshots (priced at their day's rate, hub.CaptureDailyCosts)
// where there is one; the current rate prices the other days.

// costPeriods are the periods the cost routes accept (days covered,
// today included).
var costPeriods = map[string]int{"7d": 7, "30d": 30, "90d": 90, "12m": 365}

// costPeriod reads ?period= (default 30d); false after writing 422
// INVALID_PERIOD.
func (s *Server) costPeriod(w http.ResponseWriter, r *http.Request) (string, time.Time, time.Time, bool) {
	p := r.URL.Query().Get("period")
	if p == "" {
		p = "30d"
	}
	days, ok := costPeriods[p]
	if !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": map[string]any{
			"code": "INVALID_PERIOD", "message": "Invalid period '" + p + "': use 7d, 30d, 90d or 12m", "field": "period"}})
		return "", time.Time{}, time.Time{}, false
	}
	now := time.Now().UTC()
	from := now.Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	return p, from, now, true
}

// serverCost is one server's estimate over a period.
type serverCost struct {
	ServerID              string  `json:"server_id"`
	Name                  string  `json:"name"`
	MachineType           string  `json:"machine_type"`
	MachineCategory       *string `json:"machine_category"`
	MachineCategorySource *string `json:"machine_category_source"`
	IdleWatts             int     `json:"idle_watts"`
	TDPWatts              int     `json:"tdp_watts"`
	// WattsDefaulted says idle or full-load power is the category default.
	WattsDefaulted bool                 `json:"watts_defaulted"`
	CPUAvg         *float64             `json:"cpu_avg_percent"`
	HoursOnline    float64              `json:"hours_online"`
	AvgWatts       float64              `json:"avg_watts"`
	KWh            float64              `json:"kwh"`
	Cost           float64              `json:"cost"`
	DailyCost      float64              `json:"daily_cost"`
	MonthlyCost    float64              `json:"monthly_cost"`
	Days           []homelabcmd.DayCost `json:"-"`
}

// estimate computes every server's (or one server's) days in [from, to).
func (s *Server) estimate(r *http.Request, only *homelabcmd.Server, from, to time.Time) (costConfig, []*serverCost, error) {
	cfg, err := s.costConfig(r.Context())
	if err != nil {
		return cfg, nil, err
	}
	servers := []*homelabcmd.Server{only}
	id := ""
	if only == nil {
		if servers, err = s.store.ListServers(r.Context()); err != nil {
			return cfg, nil, err
		}
	} else {
		id = only.ID
	}
	hours, err := s.store.HourlyCPU(r.Context(), id, from)
	if err != nil {
		return cfg, nil, err
	}
	// Finished days with a snapshot keep the cost they had at their rate.
	snaps, err := s.store.DailyCosts(r.Context(), id, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return cfg, nil, err
	}
	periodDays := to.Sub(from).Hours() / 24
	out := make([]*serverCost, 0, len(servers))
	for _, srv := range servers {
		idle, full, def := srv.Watts()
		sc := &serverCost{ServerID: srv.ID, Name: srv.Name(), MachineType: srv.MachineType,
			MachineCategory: srv.MachineCategory, MachineCategorySource: srv.MachineCategorySource,
			IdleWatts: idle, TDPWatts: full, WattsDefaulted: def}
		sc.Days = homelabcmd.EstimateDays(srv, hours[srv.ID], from, to, cfg.ElectricityRate)
		for i, d := range sc.Days {
			if snap, ok := snaps[srv.ID][d.Date]; ok {
				sc.Days[i] = snap.DayCost
			}
		}
		var cpuSum, cpuHours, wattHours float64
		for _, d := range sc.Days {
			sc.HoursOnline += d.HoursOnline
			wattHours += d.AvgWatts * d.HoursOnline
			sc.KWh += d.KWh
			sc.Cost += d.Cost
			if d.CPUAvg != nil {
				cpuSum += *d.CPUAvg * d.HoursOnline
				cpuHours += d.HoursOnline
			}
		}
		if cpuHours > 0 {
			v := round(cpuSum/cpuHours, 2)
			sc.CPUAvg = &v
		}
		if sc.HoursOnline > 0 {
			sc.AvgWatts = round(wattHours/sc.HoursOnline, 2)
		}
		sc.HoursOnline, sc.KWh, sc.Cost = round(sc.HoursOnline, 2), round(sc.KWh, 3), round(sc.Cost, 2)
		if periodDays > 0 {
			sc.DailyCost = round(sc.Cost/periodDays, 4)
			sc.MonthlyCost = round(sc.Cost/periodDays*30, 2)
		}
		out = append(out, sc)
	}
	return cfg, out, nil
}

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// costReport is what every cost route starts from: the period asked for
// and the estimate of each server over it.
type costReport struct {
	period   string
	from, to time.Time
	cfg      costConfig
	costs    []*serverCost
}

// costsForPeriod reads ?period= and estimates the servers (only one when
// only is set); nil after writing the error.
func (s *Server) costsForPeriod(w http.ResponseWriter, r *http.Request, only *homelabcmd.Server) *costReport {
	period, from, to, ok := s.costPeriod(w, r)
	if !ok {
		return nil
	}
	cfg, costs, err := s.estimate(r, only, from, to)
	if err != nil {
		s.writeError(w, r, err)
		return nil
	}
	return &costReport{period: period, from: from, to: to, cfg: cfg, costs: costs}
}

// handleCostSummary is GET /costs/summary: the fleet's totals over the
// period, and daily, monthly (30 d) and yearly figures at that rate.
func (s *Server) handleCostSummary(w http.ResponseWriter, r *http.Request) {
	rep := s.costsForPeriod(w, r, nil)
	if rep == nil {
		return
	}
	cfg, costs, from, to := rep.cfg, rep.costs, rep.from, rep.to
	var kwh, cost, watts float64
	defaulted := 0
	for _, c := range costs {
		kwh += c.KWh
		cost += c.Cost
		watts += c.AvgWatts
		if c.WattsDefaulted {
			defaulted++
		}
	}
	days := to.Sub(from).Hours() / 24
	daily := 0.0
	if days > 0 {
		daily = cost / days
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"period": rep.period, "from": from, "to": to,
		"electricity_rate": cfg.ElectricityRate, "currency_symbol": cfg.CurrencySymbol,
		"server_count": len(costs), "servers_using_defaults": defaulted,
		"total_kwh": round(kwh, 3), "total_cost": round(cost, 2), "total_avg_watts": round(watts, 2),
		"daily_cost": round(daily, 4), "monthly_cost": round(daily*30, 2), "yearly_cost": round(daily*365, 2),
	})
}

// handleCostBreakdown is GET /costs/breakdown: one row per server, the
// most expensive first.
func (s *Server) handleCostBreakdown(w http.ResponseWriter, r *http.Request) {
	rep := s.costsForPeriod(w, r, nil)
	if rep == nil {
		return
	}
	cfg, costs, from, to := rep.cfg, rep.costs, rep.from, rep.to
	// Costliest first; costs are rounded to the cent, so energy decides
	// between equal ones (a server that ran a few minutes before one that
	// did not run at all).
	sort.SliceStable(costs, func(i, j int) bool {
		if costs[i].Cost != costs[j].Cost {
			return costs[i].Cost > costs[j].Cost
		}
		if costs[i].KWh != costs[j].KWh {
			return costs[i].KWh > costs[j].KWh
		}
		return costs[i].ServerID < costs[j].ServerID
	})
	var total, kwh float64
	for _, c := range costs {
		total += c.Cost
		kwh += c.KWh
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"period": rep.period, "from": from, "to": to,
		"electricity_rate": cfg.ElectricityRate, "currency_symbol": cfg.CurrencySymbol,
		"servers": costs, "total_kwh": round(kwh, 3), "total_cost": round(total, 2),
	})
}

// dayTotal is the fleet's (or a server's) estimate for one UTC day.
type dayTotal struct {
	Date string  `json:"date"`
	KWh  float64 `json:"kwh"`
	Cost float64 `json:"cost"`
}

func sumDays(costs []*serverCost) ([]dayTotal, float64, float64) {
	byDate := map[string]*dayTotal{}
	var order []string
	for _, c := range costs {
		for _, d := range c.Days {
			t := byDate[d.Date]
			if t == nil {
				t = &dayTotal{Date: d.Date}
				byDate[d.Date] = t
				order = append(order, d.Date)
			}
			t.KWh += d.KWh
			t.Cost += d.Cost
		}
	}
	sort.Strings(order)
	out := make([]dayTotal, 0, len(order))
	var kwh, cost float64
	for _, k := range order {
		t := byDate[k]
		kwh += t.KWh
		cost += t.Cost
		out = append(out, dayTotal{Date: k, KWh: round(t.KWh, 3), Cost: round(t.Cost, 4)})
	}
	return out, round(kwh, 3), round(cost, 2)
}

// handleCostHistory is GET /costs/history: the fleet's cost per UTC day.
func (s *Server) handleCostHistory(w http.ResponseWriter, r *http.Request) {
	rep := s.costsForPeriod(w, r, nil)
	if rep == nil {
		return
	}
	cfg, costs, from, to := rep.cfg, rep.costs, rep.from, rep.to
	days, kwh, total := sumDays(costs)
	writeJSON(w, http.StatusOK, map[string]any{
		"period": rep.period, "from": from, "to": to,
		"electricity_rate": cfg.ElectricityRate, "currency_symbol": cfg.CurrencySymbol,
		"days": days, "total_kwh": kwh, "total_cost": total,
	})
}

// handleServerCostHistory is GET /servers/{id}/costs/history: one server's
// days with hours online, CPU average and average power.
func (s *Server) handleServerCostHistory(w http.ResponseWriter, r *http.Request) {
	srv, err := s.store.FindServer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep := s.costsForPeriod(w, r, srv)
	if rep == nil {
		return
	}
	cfg, costs, from, to := rep.cfg, rep.costs, rep.from, rep.to
	c := costs[0]
	writeJSON(w, http.StatusOK, map[string]any{
		"server_id": srv.ID, "period": rep.period, "from": from, "to": to,
		"electricity_rate": cfg.ElectricityRate, "currency_symbol": cfg.CurrencySymbol,
		"idle_watts": c.IdleWatts, "tdp_watts": c.TDPWatts, "watts_defaulted": c.WattsDefaulted,
		"machine_category": c.MachineCategory, "machine_type": c.MachineType,
		"days": c.Days, "total_kwh": c.KWh, "total_cost": c.Cost,
	})
}

// handleCostMonthly is GET /costs/summary/monthly?months=N (1-12,
// default 12): the fleet's cost per calendar month (UTC), this one included.
func (s *Server) handleCostMonthly(w http.ResponseWriter, r *http.Request) {
	n := 12
	if v := r.URL.Query().Get("months"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 12 {
			s.writeError(w, r, homelabcmd.FieldError("query.months", "months must be an integer from 1 to 12"))
			return
		}
		n = m
	}
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(n - 1), 0)
	cfg, costs, err := s.estimate(r, nil, first, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	days, kwh, total := sumDays(costs)
	type month struct {
		Month string  `json:"month"`
		Days  int     `json:"days"`
		KWh   float64 `json:"kwh"`
		Cost  float64 `json:"cost"`
	}
	months := []month{}
	for m := first; m.Before(now); m = m.AddDate(0, 1, 0) {
		months = append(months, month{Month: m.Format("2006-01")})
	}
	for _, d := range days {
		for i := range months {
			if d.Date[:7] == months[i].Month {
				months[i].Days++
				months[i].KWh += d.KWh
				months[i].Cost += d.Cost
			}
		}
	}
	for i := range months {
		months[i].KWh, months[i].Cost = round(months[i].KWh, 3), round(months[i].Cost, 2)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"electricity_rate": cfg.ElectricityRate, "currency_symbol": cfg.CurrencySymbol,
		"months": months, "total_kwh": kwh, "total_cost": total,
	})
}
