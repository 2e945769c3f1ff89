// Package promexport exposes the fleet and the hub itself to Prometheus.
// Fleet gauges are read from the database at scrape time, so every hub
// sharing one PostgreSQL reports the same fleet; hub internals (heartbeats,
// ingest latency) are per process.
package promexport

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/homelabcmd/homelabcmd"
)

// Source is what a scrape reads.
type Source interface {
	ServerOverviews(ctx context.Context) ([]*homelabcmd.ServerOverview, error)
	FleetServiceStates(ctx context.Context) ([]homelabcmd.FleetServiceState, error)
	OpenAlertCounts(ctx context.Context) (map[string]int, error)
	// ListChecks returns the checks with each agent's current result.
	ListChecks(ctx context.Context, serverID string) ([]homelabcmd.CheckOverview, error)
}

var (
	serviceUp = prometheus.NewDesc("homelabcmd_service_up",
		"1 when an enabled expected unit (kind systemd or container) reports running, else 0.", []string{"server", "service", "critical", "kind"}, nil)
	serviceState = prometheus.NewDesc("homelabcmd_service_state",
		"1 for the current state of an enabled expected unit, 0 for the others.", []string{"server", "service", "state", "kind"}, nil)
	serviceRestarts = prometheus.NewDesc("homelabcmd_service_restarts_total",
		"The restart count of an expected unit (systemd's NRestarts, a container's RestartCount), as the agent last reported it.", []string{"server", "service", "kind"}, nil)
	serverUp = prometheus.NewDesc("homelabcmd_server_up",
		"1 when the server is online (heartbeats arriving), else 0.", []string{"server"}, nil)
	alertsOpen = prometheus.NewDesc("homelabcmd_alerts_open",
		"Unresolved (open or acknowledged) alerts by severity.", []string{"severity"}, nil)
	hostGauges  = metricGauges()
	load1Gauge  = prometheus.NewDesc("homelabcmd_server_load1", "Latest 1-minute load average of a server.", []string{"server"}, nil)
	uptimeGauge = prometheus.NewDesc("homelabcmd_server_uptime_seconds", "Latest uptime of a server.", []string{"server"}, nil)
	checkUp     = prometheus.NewDesc("homelabcmd_check_up",
		"1 when an agent's last result of an enabled check is up (or a certificate warning), else 0.", []string{"check", "type", "server"}, nil)
	checkLatency = prometheus.NewDesc("homelabcmd_check_latency_seconds",
		"Latency of an agent's last result of an enabled check.", []string{"check", "type", "server"}, nil)
	checkCertExpiry = prometheus.NewDesc("homelabcmd_check_cert_expiry_timestamp_seconds",
		"When the certificate an agent's last tls or https check saw expires (Unix time).", []string{"check", "server"}, nil)
	scrapeErrors = prometheus.NewDesc("homelabcmd_scrape_errors", "1 when the last scrape could not read the database.", nil, nil)
)

// metricGauges is one gauge per metric alert kind, named after the kind and
// its unit (homelabcmd_server_cpu_percent), so a new metric rule exports too.
func metricGauges() map[string]*prometheus.Desc {
	suffix := map[string]string{"%": "_percent"}
	out := map[string]*prometheus.Desc{}
	for _, k := range homelabcmd.AlertKinds() {
		if m := k.Metric; m != nil {
			out[k.Name] = prometheus.NewDesc("homelabcmd_server_"+k.Name+suffix[m.Unit], "Latest "+m.Help+" of a server.", []string{"server"}, nil)
		}
	}
	return out
}

var states = []homelabcmd.ServiceStatusValue{homelabcmd.StatusRunning, homelabcmd.StatusStopped, homelabcmd.StatusFailed, homelabcmd.StatusUnknown}

// Collector reads fleet gauges from the database on each scrape.
type Collector struct {
	src    Source
	logger *slog.Logger
}

// NewCollector returns a collector over src.
func NewCollector(src Source, logger *slog.Logger) *Collector {
	return &Collector{src: src, logger: logger}
}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{serviceUp, serviceState, serviceRestarts, serverUp, alertsOpen, scrapeErrors, load1Gauge, uptimeGauge,
		checkUp, checkLatency, checkCertExpiry} {
		ch <- d
	}
	for _, d := range hostGauges {
		ch <- d
	}
}

// Collect reads the fleet and sends its gauges.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	failed := 0.0
	if err := c.collect(ctx, ch); err != nil {
		c.logger.Error("prometheus scrape: read the fleet", "err", err)
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrors, prometheus.GaugeValue, failed)
}

func (c *Collector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	servers, err := c.src.ServerOverviews(ctx)
	if err != nil {
		return err
	}
	for _, s := range servers {
		ch <- prometheus.MustNewConstMetric(serverUp, prometheus.GaugeValue, boolValue(s.Status == homelabcmd.ServerOnline), s.ID)
		if m := s.LatestMetrics; m != nil {
			for _, k := range homelabcmd.AlertKinds() {
				if k.Metric == nil {
					continue
				}
				if v := k.Metric.Value(&m.Metrics); v != nil {
					ch <- prometheus.MustNewConstMetric(hostGauges[k.Name], prometheus.GaugeValue, *v, s.ID)
				}
			}
			if m.Load1m != nil {
				ch <- prometheus.MustNewConstMetric(load1Gauge, prometheus.GaugeValue, *m.Load1m, s.ID)
			}
			if m.UptimeSeconds != nil {
				ch <- prometheus.MustNewConstMetric(uptimeGauge, prometheus.GaugeValue, float64(*m.UptimeSeconds), s.ID)
			}
		}
	}
	svcs, err := c.src.FleetServiceStates(ctx)
	if err != nil {
		return err
	}
	for _, s := range svcs {
		crit := "false"
		if s.IsCritical {
			crit = "true"
		}
		kind := string(s.Kind)
		if kind == "" {
			kind = string(homelabcmd.KindSystemd)
		}
		ch <- prometheus.MustNewConstMetric(serviceUp, prometheus.GaugeValue, boolValue(s.Status == homelabcmd.StatusRunning), s.ServerID, s.ServiceName, crit, kind)
		for _, st := range states {
			ch <- prometheus.MustNewConstMetric(serviceState, prometheus.GaugeValue, boolValue(s.Status == st), s.ServerID, s.ServiceName, string(st), kind)
		}
		if s.Restarts != nil {
			ch <- prometheus.MustNewConstMetric(serviceRestarts, prometheus.CounterValue, float64(*s.Restarts), s.ServerID, s.ServiceName, kind)
		}
	}
	counts, err := c.src.OpenAlertCounts(ctx)
	if err != nil {
		return err
	}
	for _, sev := range []string{homelabcmd.SeverityCritical, homelabcmd.SeverityHigh, homelabcmd.SeverityMedium, homelabcmd.SeverityLow} {
		ch <- prometheus.MustNewConstMetric(alertsOpen, prometheus.GaugeValue, float64(counts[sev]), sev)
	}
	return c.collectChecks(ctx, ch)
}

// collectChecks sends each agent's last result of each enabled check.
func (c *Collector) collectChecks(ctx context.Context, ch chan<- prometheus.Metric) error {
	checks, err := c.src.ListChecks(ctx, "")
	if err != nil {
		return err
	}
	for _, ck := range checks {
		if !ck.Enabled {
			continue
		}
		for _, a := range ck.Agents {
			if a.Status == "pending" {
				continue
			}
			ch <- prometheus.MustNewConstMetric(checkUp, prometheus.GaugeValue, boolValue(a.Status != homelabcmd.CheckDown), ck.Name, ck.Type, a.ServerID)
			if a.LatencyMS != nil {
				ch <- prometheus.MustNewConstMetric(checkLatency, prometheus.GaugeValue, *a.LatencyMS/1000, ck.Name, ck.Type, a.ServerID)
			}
			if a.CertExpiresAt != nil {
				ch <- prometheus.MustNewConstMetric(checkCertExpiry, prometheus.GaugeValue, float64(a.CertExpiresAt.Unix()), ck.Name, a.ServerID)
			}
		}
	}
	return nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// HubMetrics are the hub's own counters, updated on the hot path.
type HubMetrics struct {
	Heartbeats      *prometheus.CounterVec
	IngestDuration  prometheus.Histogram
	HeartbeatErrors *prometheus.CounterVec
}

// NewHubMetrics creates the hub's counters and registers them on reg.
func NewHubMetrics(reg prometheus.Registerer) *HubMetrics {
	m := &HubMetrics{
		Heartbeats: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "homelabcmd_heartbeats_received_total",
			Help: "Heartbeats stored, by authentication kind."}, []string{"auth"}),
		HeartbeatErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "homelabcmd_heartbeats_rejected_total",
			Help: "Heartbeats refused, by HTTP status."}, []string{"status"}),
		IngestDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "homelabcmd_ingest_duration_seconds",
			Help:    "Time to store one heartbeat (queueing for the group commit included).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
	}
	reg.MustRegister(m.Heartbeats, m.HeartbeatErrors, m.IngestDuration)
	return m
}

// HeartbeatStored counts a stored heartbeat and its latency.
func (m *HubMetrics) HeartbeatStored(auth string, took time.Duration) {
	m.Heartbeats.WithLabelValues(auth).Inc()
	m.IngestDuration.Observe(took.Seconds())
}

// HeartbeatRejected counts a refused heartbeat by HTTP status.
func (m *HubMetrics) HeartbeatRejected(status int) {
	m.HeartbeatErrors.WithLabelValues(strconv.Itoa(status)).Inc()
}
