// Package loadgen simulates a fleet of agents against a hub: each simulated
// agent has its own server id and sends a realistic heartbeat on a fixed
// schedule (and, like the real agent, can hold the command long-poll open);
// dashboards can hold the live event stream open; the run reports
// throughput, latency percentiles, errors, events delivered and, given the
// hub's pid, its CPU and memory. Several hub URLs (hubs sharing one
// PostgreSQL) split the fleet between them.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Config describes one load run. HubURLs, APIKey, Servers, Interval and
// Duration are required.
type Config struct {
	// HubURLs are the hubs (loopback only); agent i and dashboard i talk to
	// HubURLs[i % len], like a fleet behind a load balancer.
	HubURLs  []string
	APIKey   string
	Servers  int
	Services int
	Interval time.Duration
	Duration time.Duration
	// CommandLine makes every agent hold the command long-poll
	// (GET /api/v1/agents/commands) open between heartbeats, as the real
	// agent does: a second connection per agent.
	CommandLine bool
	// Dashboards hold the live event stream (GET /api/v1/events) open.
	Dashboards int
	// HubPIDs, when set, are sampled for CPU and RSS during the run.
	HubPIDs []int
	// Alerting makes the first Alerting agents' first services expected
	// and flip often, with a webhook channel on loopback counting the
	// notifications (the duplicate check; hubs need notify_allow_private).
	Alerting int
	// Progress, when set, receives a one-line status every few seconds.
	Progress io.Writer
}

// Report is the outcome of a run.
type Report struct {
	Sent, Errors  int
	Elapsed       time.Duration
	P50, P95, P99 time.Duration
	Max           time.Duration
	FirstError    string
	// Polls are command long-polls answered (each waits up to 25 s);
	// PollErrors failed ones. CommandLine says the agents held them.
	CommandLine       bool
	Polls, PollErrors int
	// Dashboards: streams opened, events received by type, reconnects,
	// errors, and server.updated events received per heartbeat answered
	// per dashboard, from 10 s on (1 when none is lost; alerts add some).
	Dashboards         int
	Streams            int
	Events             map[string]int
	Reconnects         int
	StreamErrors       int
	Delivered          float64
	Hubs               []HubUsage
	LoadStart, LoadEnd string
	Alerts             *AlertCheck
}

// Rate is heartbeats answered 200 per second.
func (r Report) Rate() float64 { return float64(r.Sent-r.Errors) / r.Elapsed.Seconds() }

func (r Report) String() string {
	s := fmt.Sprintf("heartbeats: %d sent, %d errors, %.0f/s over %s\nlatency: p50 %s  p95 %s  p99 %s  max %s",
		r.Sent, r.Errors, r.Rate(), r.Elapsed.Round(time.Millisecond), r.P50, r.P95, r.P99, r.Max)
	if r.CommandLine {
		s += fmt.Sprintf("\ncommand long-polls: %d answered, %d errors", r.Polls, r.PollErrors)
	}
	if r.Dashboards > 0 {
		total := 0
		types := make([]string, 0, len(r.Events))
		for t, n := range r.Events {
			total += n
			types = append(types, fmt.Sprintf("%s %d", t, n))
		}
		slices.Sort(types)
		s += fmt.Sprintf("\ndashboards: %d, %d streams opened, %d reconnects, %d errors; %d events received (%s); server.updated per heartbeat per dashboard %.3f",
			r.Dashboards, r.Streams, r.Reconnects, r.StreamErrors, total, strings.Join(types, ", "), r.Delivered)
	}
	for _, h := range r.Hubs {
		s += "\n" + h.String()
	}
	if r.Alerts != nil {
		s += "\n" + r.Alerts.String()
	}
	if r.LoadStart != "" {
		s += "\nload average: " + r.LoadStart + " at start, " + r.LoadEnd + " at end"
	}
	if r.FirstError != "" {
		s += "\nfirst error: " + r.FirstError
	}
	return s
}

// Summary is the report in one line, for scripts/bench's table.
func (r Report) Summary() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
	s := fmt.Sprintf("%.0f heartbeats/s, %d errors, p50 %s, p95 %s, p99 %s", r.Rate(), r.Errors, ms(r.P50), ms(r.P95), ms(r.P99))
	if r.CommandLine {
		s += fmt.Sprintf(", %d long-poll errors", r.PollErrors)
	}
	if r.Dashboards > 0 {
		total := 0
		for _, n := range r.Events {
			total += n
		}
		s += fmt.Sprintf(", %d dashboards: %d events, %.3f server.updated per heartbeat each, %d stream errors", r.Dashboards, total, r.Delivered, r.StreamErrors)
	}
	if len(r.Hubs) > 0 {
		var cpu float64
		var each []string
		var peak int64
		for _, h := range r.Hubs {
			cpu += h.CPU
			each = append(each, fmt.Sprintf("%.1f", h.CPU))
			peak = max(peak, h.PeakRSS)
		}
		if len(r.Hubs) == 1 {
			s += fmt.Sprintf(", hub CPU %.1f %% of a core, peak RSS %.0f MB", cpu, float64(peak)/1e6)
		} else {
			s += fmt.Sprintf(", hubs' CPU %.1f %% of a core (%s), peak RSS %.0f MB (largest hub)", cpu, strings.Join(each, " + "), float64(peak)/1e6)
		}
	}
	if r.Alerts != nil {
		s += fmt.Sprintf(", %d alerts, %d notifications, %d duplicates", r.Alerts.Alerts, r.Alerts.Deliveries, r.Alerts.Duplicates())
	}
	if r.LoadEnd != "" {
		s += ", load " + r.LoadEnd
	}
	return s
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.HubURLs) == 0 {
		return fmt.Errorf("--hub is required")
	}
	for _, h := range c.HubURLs {
		if err := loopbackURL(h); err != nil {
			return err
		}
	}
	switch {
	case c.Servers < 1 || c.Servers > 100000:
		return fmt.Errorf("--servers must be 1-100000")
	case c.Services < 0 || c.Services > 500:
		return fmt.Errorf("--services must be 0-500")
	case c.Interval <= 0:
		return fmt.Errorf("--interval must be positive")
	case c.Duration <= 0 || c.Duration > 24*time.Hour:
		return fmt.Errorf("--duration must be positive and at most 24h")
	case c.Dashboards < 0 || c.Dashboards > 10000:
		return fmt.Errorf("--dashboards must be 0-10000")
	case c.Alerting < 0 || c.Alerting > c.Servers || c.Alerting > 1000:
		return fmt.Errorf("--alerting must be 0-1000 and at most --servers")
	case c.Alerting > 0 && c.Services == 0:
		return fmt.Errorf("--alerting needs --services")
	}
	return nil
}

// loopbackURL refuses a hub that is not on this machine: a load run sends
// thousands of requests a second and must never leave loopback.
func loopbackURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("--hub %q is not an http(s) URL", s)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--hub %q: load runs target loopback only (127.0.0.1, ::1, localhost)", s)
	}
	return nil
}

// Run drives the fleet until the duration ends or ctx is cancelled.
func Run(ctx context.Context, c Config) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	// One client for setup, checks and the dashboards (each stream is a
	// connection of its own); every agent gets its own below, so that it
	// keeps its own connections like a real agent (the hub sees one
	// connection per agent, two with the command line).
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c.Dashboards + 16, MaxIdleConnsPerHost: c.Dashboards + 16, IdleConnTimeout: 2 * time.Minute}}
	// Long-lived responses (the event stream) need a client without the
	// 30 s bound.
	longClient := &http.Client{Transport: client.Transport}

	var hook *hookReceiver
	if c.Alerting > 0 {
		var err error
		if hook, err = newHookReceiver(); err != nil {
			return Report{}, err
		}
		defer hook.srv.Close()
		if err := setupAlerting(ctx, client, c, hook.url); err != nil {
			return Report{}, err
		}
	}

	runCtx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	var mu sync.Mutex
	var latencies []time.Duration
	var errs, polls, pollErrs int
	var firstErr string
	record := func(d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		latencies = append(latencies, d)
		if err != nil {
			errs++
			if firstErr == "" {
				firstErr = err.Error()
			}
		}
	}
	rep := Report{Dashboards: c.Dashboards, CommandLine: c.CommandLine, LoadStart: loadAvg()}
	usage := make([]HubUsage, len(c.HubPIDs))
	var samplers sync.WaitGroup
	for i, pid := range c.HubPIDs {
		samplers.Go(func() { usage[i] = sampleHub(runCtx, pid) })
	}
	start := time.Now()
	// Dashboards open over the first 5 s; from 10 s on each should see one
	// server.updated per heartbeat answered (alerts add a few more).
	const opening, counted = 5 * time.Second, 10 * time.Second
	dash := &dashboards{events: map[string]int{}, from: start.Add(counted)}
	var wg sync.WaitGroup
	for i := range c.Dashboards {
		wg.Go(func() {
			select {
			case <-runCtx.Done():
				return
			case <-time.After(time.Duration(rand.Int64N(int64(opening)))):
			}
			dash.run(runCtx, longClient, c.HubURLs[i%len(c.HubURLs)], c.APIKey)
		})
	}
	// okDuring counts heartbeats answered once every dashboard counts.
	var okDuring int
	for i := range c.Servers {
		wg.Go(func() {
			hub := c.HubURLs[i%len(c.HubURLs)]
			a := newAgent(i, c.Services, i < c.Alerting)
			// As the agent's: a heartbeat client with a 30 s bound and the
			// command line's without, over one transport of its own.
			tr := &http.Transport{MaxIdleConns: 2, MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second}
			defer tr.CloseIdleConnections()
			client := &http.Client{Timeout: 30 * time.Second, Transport: tr}
			lineClient := &http.Client{Transport: tr}
			// Spread the first beats over one interval, like a real fleet.
			next := start.Add(time.Duration(rand.Int64N(int64(c.Interval))))
			lineOpen := false
			for {
				select {
				case <-runCtx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				body := a.heartbeat(time.Now())
				t0 := time.Now()
				err := send(runCtx, client, hub, c.APIKey, body)
				if runCtx.Err() != nil {
					return // the run ended mid-request: not the hub's error
				}
				record(time.Since(t0), err)
				if err == nil && time.Now().After(dash.from) {
					mu.Lock()
					okDuring++
					mu.Unlock()
				}
				// The command line opens once the hub knows the server.
				if c.CommandLine && err == nil && !lineOpen {
					lineOpen = true
					wg.Go(func() {
						for runCtx.Err() == nil {
							err := poll(runCtx, lineClient, hub, c.APIKey, a.id)
							if runCtx.Err() != nil {
								return
							}
							mu.Lock()
							if err != nil {
								pollErrs++
								if firstErr == "" {
									firstErr = "command long-poll: " + err.Error()
								}
							} else {
								polls++
							}
							mu.Unlock()
							if err != nil {
								select { // the agent backs off after an error
								case <-runCtx.Done():
								case <-time.After(time.Second):
								}
							}
						}
					})
				}
				next = next.Add(c.Interval)
				if now := time.Now(); next.Before(now) {
					next = now // fell behind: send at once, never in a burst
				}
			}
		})
	}
	if c.Progress != nil {
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					mu.Lock()
					n, e, pe := len(latencies), errs, pollErrs
					mu.Unlock()
					dash.mu.Lock()
					ev := 0
					for _, k := range dash.events {
						ev += k
					}
					de := dash.errors
					dash.mu.Unlock()
					fmt.Fprintf(c.Progress, "loadgen: %s elapsed, %d heartbeats (%.0f/s), %d errors; %d long-poll errors; %d events to dashboards, %d stream errors\n",
						time.Since(start).Round(time.Second), n, float64(n)/time.Since(start).Seconds(), e, pe, ev, de)
				}
			}
		}()
	}
	wg.Wait()
	samplers.Wait()
	rep.Sent, rep.Errors, rep.Elapsed, rep.FirstError = len(latencies), errs, time.Since(start), firstErr
	rep.Polls, rep.PollErrors, rep.Hubs, rep.LoadEnd = polls, pollErrs, usage, loadAvg()
	rep.Streams, rep.Events, rep.Reconnects, rep.StreamErrors = dash.connects, dash.events, dash.reconnects, dash.errors
	if rep.FirstError == "" {
		rep.FirstError = dash.firstErr
	}
	if c.Dashboards > 0 && okDuring > 0 {
		rep.Delivered = float64(dash.updates) / float64(okDuring*c.Dashboards)
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
		rep.P50, rep.P95, rep.P99, rep.Max = pct(0.50), pct(0.95), pct(0.99), latencies[len(latencies)-1]
	}
	if hook != nil {
		check, err := checkAlerts(ctx, client, c, hook, 60*time.Second)
		if err != nil {
			return rep, err
		}
		rep.Alerts = &check
	}
	return rep, nil
}

func send(ctx context.Context, client *http.Client, hubURL, apiKey string, body []byte) error {
	return do(ctx, client, apiKey, "POST", hubURL+"/api/v1/agents/heartbeat", body, http.StatusOK)
}

// poll is one command long-poll, as the agent opens it (25 s at the hub).
func poll(ctx context.Context, client *http.Client, hubURL, apiKey, serverID string) error {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	return do(ctx, client, apiKey, "GET", hubURL+"/api/v1/agents/commands?wait=25&server_id="+url.QueryEscape(serverID), nil, http.StatusOK)
}

// do sends one request with the API key (a JSON body when body is not
// nil) and reads the whole answer, so the connection is reused.
func do(ctx context.Context, client *http.Client, apiKey, method, target string, body []byte, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-API-Key", apiKey)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: HTTP %d: %.200s", method, req.URL.Path, resp.StatusCode, b)
	}
	return nil
}

// agent is one simulated machine: stable identity, slowly moving metrics,
// and services that now and then stop and start again.
type agent struct {
	id       string
	rng      *rand.Rand
	services []homelabcmd.ServiceReport
	hb       homelabcmd.Heartbeat
	alerting bool // flips one of its expected services every few beats
	// boot is when the machine started: the uptime it reports follows the
	// clock (a constant uptime reads as a reboot at every heartbeat).
	boot   time.Time
	rx, tx int64 // network counters: they only grow
}

func agentID(i int) string     { return fmt.Sprintf("loadgen-%05d", i) }
func serviceName(j int) string { return fmt.Sprintf("service-%02d", j) }

func newAgent(i, services int, alerting bool) *agent {
	a := &agent{id: agentID(i), rng: rand.New(rand.NewPCG(uint64(i), 42)), alerting: alerting,
		// The same boot time in every run of the day, so that a second run
		// against the same hub is not a reboot of every agent.
		boot: time.Now().UTC().Truncate(24 * time.Hour).Add(-24*time.Hour - time.Duration(i)*time.Second)}
	for j := range services {
		a.services = append(a.services, homelabcmd.ServiceReport{Name: serviceName(j), Status: homelabcmd.StatusRunning})
	}
	distro, ver, kernel, arch := "Debian GNU/Linux", "12", "6.1.0-18-amd64", "x86_64"
	model, cores := "Intel(R) N100", 4
	a.hb = homelabcmd.Heartbeat{ServerID: a.id, Hostname: a.id, AgentVersion: ptr("loadgen"),
		OSInfo:  &homelabcmd.OSInfo{Distribution: &distro, Version: &ver, Kernel: &kernel, Architecture: &arch},
		CPUInfo: &homelabcmd.CPUInfo{CPUModel: &model, CPUCores: &cores},
		Filesystems: []homelabcmd.Filesystem{
			{MountPoint: "/", Device: "/dev/nvme0n1p2", FSType: "ext4", TotalBytes: 500e9, UsedBytes: 200e9, AvailableBytes: 300e9, Percent: 40},
			{MountPoint: "/srv/media", Device: "/dev/sda1", FSType: "xfs", TotalBytes: 8e12, UsedBytes: 6e12, AvailableBytes: 2e12, Percent: 75}},
		NetworkInterfaces: []homelabcmd.NetworkInterface{{Name: "eth0", IsUp: true}, {Name: "lo", IsUp: true}}}
	return a
}

func (a *agent) heartbeat(now time.Time) []byte {
	r := a.rng
	flip := -1
	if a.alerting && r.IntN(4) == 0 {
		flip = r.IntN(min(alertServices, len(a.services)))
	}
	for i := range a.services {
		s := &a.services[i]
		if i == flip || r.IntN(2000) == 0 { // a rare outage, and a recovery
			if s.Status == homelabcmd.StatusRunning {
				s.Status = homelabcmd.StatusStopped
			} else {
				s.Status = homelabcmd.StatusRunning
			}
		}
		s.PID, s.MemoryMB, s.CPUPercent = nil, nil, nil
		if s.Status == homelabcmd.StatusRunning {
			s.PID, s.MemoryMB, s.CPUPercent = ptr(1000+i), ptr(50+r.Float64()*500), ptr(r.Float64()*20)
		}
	}
	a.rx += r.Int64N(1 << 20)
	a.tx += r.Int64N(1 << 18)
	a.hb.Timestamp = homelabcmd.Time{Time: now}
	a.hb.Services = a.services
	a.hb.Metrics = &homelabcmd.Metrics{CPUPercent: ptr(r.Float64() * 60), MemoryPercent: ptr(30 + r.Float64()*40),
		MemoryTotalMB: ptr(int64(16000)), MemoryUsedMB: ptr(int64(8000)), DiskPercent: ptr(40.0),
		DiskTotalGB: ptr(500.0), DiskUsedGB: ptr(200.0), NetworkRxBytes: ptr(a.rx), NetworkTxBytes: ptr(a.tx),
		Load1m: ptr(r.Float64()), Load5m: ptr(0.5), Load15m: ptr(0.4), UptimeSeconds: ptr(int64(now.Sub(a.boot).Seconds()))}
	b, _ := json.Marshal(&a.hb)
	return b
}

func ptr[T any](v T) *T { return &v }
