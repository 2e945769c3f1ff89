package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/homelabcmd/homelabcmd/promexport"
)

// serveMetrics exposes GET /metrics: the fleet (read from the database at
// scrape time), the hub's own counters, and Go and process metrics.
func (h *Hub) serveMetrics() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		promexport.NewCollector(h.DB, h.Logger.With("component", "metrics")))
	h.HTTP.Observer = promexport.NewHubMetrics(reg)
	h.HTTP.SetMetrics(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: nil}), h.Config.MetricsToken, h.Config.MetricsAllow)
}
