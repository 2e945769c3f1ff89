// Package loadgen simulates a fleet of agents against a hub: each simulated
// agent has its own server id and sends a realistic heartbeat on a fixed
// schedule, and the run reports throughput, latency percentiles and errors.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Config describes one load run. Every field is required but Progress.
type Config struct {
	HubURL   string
	APIKey   string
	Servers  int
	Services int
	Interval time.Duration
	Duration time.Duration
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
}

// Rate is heartbeats answered 200 per second.
func (r Report) Rate() float64 { return float64(r.Sent-r.Errors) / r.Elapsed.Seconds() }

func (r Report) String() string {
	s := fmt.Sprintf("heartbeats: %d sent, %d errors, %.0f/s over %s\nlatency: p50 %s  p95 %s  p99 %s  max %s",
		r.Sent, r.Errors, r.Rate(), r.Elapsed.Round(time.Millisecond), r.P50, r.P95, r.P99, r.Max)
	if r.FirstError != "" {
		s += "\nfirst error: " + r.FirstError
	}
	return s
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.HubURL == "":
		return fmt.Errorf("--hub is required")
	case c.Servers < 1 || c.Servers > 100000:
		return fmt.Errorf("--servers must be 1-100000")
	case c.Services < 0 || c.Services > 500:
		return fmt.Errorf("--services must be 0-500")
	case c.Interval <= 0:
		return fmt.Errorf("--interval must be positive")
	case c.Duration <= 0 || c.Duration > 24*time.Hour:
		return fmt.Errorf("--duration must be positive and at most 24h")
	}
	return nil
}

// Run drives the fleet until the duration ends or ctx is cancelled.
func Run(ctx context.Context, c Config) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c.Servers, MaxIdleConnsPerHost: c.Servers, IdleConnTimeout: time.Minute}}

	var mu sync.Mutex
	var latencies []time.Duration
	var errs int
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
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := newAgent(i, c.Services)
			// Spread the first beats over one interval, like a real fleet.
			next := start.Add(time.Duration(rand.Int64N(int64(c.Interval))))
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				body := a.heartbeat(time.Now())
				t0 := time.Now()
				err := send(ctx, client, c, body)
				if ctx.Err() != nil {
					return // the run ended mid-request: not the hub's error
				}
				record(time.Since(t0), err)
				next = next.Add(c.Interval)
				if now := time.Now(); next.Before(now) {
					next = now // fell behind: send at once, never in a burst
				}
			}
		}()
	}
	if c.Progress != nil {
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					mu.Lock()
					n, e := len(latencies), errs
					mu.Unlock()
					fmt.Fprintf(c.Progress, "loadgen: %s elapsed, %d heartbeats (%.0f/s), %d errors\n",
						time.Since(start).Round(time.Second), n, float64(n)/time.Since(start).Seconds(), e)
				}
			}
		}()
	}
	wg.Wait()
	rep := Report{Sent: len(latencies), Errors: errs, Elapsed: time.Since(start), FirstError: firstErr}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
		rep.P50, rep.P95, rep.P99, rep.Max = pct(0.50), pct(0.95), pct(0.99), latencies[len(latencies)-1]
	}
	return rep, nil
}

func send(ctx context.Context, client *http.Client, c Config, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", c.HubURL+"/api/v1/agents/heartbeat", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", c.APIKey)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
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
}

func newAgent(i, services int) *agent {
	a := &agent{id: fmt.Sprintf("loadgen-%05d", i), rng: rand.New(rand.NewPCG(uint64(i), 42))}
	for j := range services {
		a.services = append(a.services, homelabcmd.ServiceReport{Name: fmt.Sprintf("service-%02d", j), Status: homelabcmd.StatusRunning})
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
	for i := range a.services {
		s := &a.services[i]
		if r.IntN(2000) == 0 { // a rare outage, and a recovery
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
	a.hb.Timestamp = homelabcmd.Time{Time: now}
	a.hb.Services = a.services
	a.hb.Metrics = &homelabcmd.Metrics{CPUPercent: ptr(r.Float64() * 60), MemoryPercent: ptr(30 + r.Float64()*40),
		MemoryTotalMB: ptr(int64(16000)), MemoryUsedMB: ptr(int64(8000)), DiskPercent: ptr(40.0),
		DiskTotalGB: ptr(500.0), DiskUsedGB: ptr(200.0), NetworkRxBytes: ptr(int64(r.Uint32())), NetworkTxBytes: ptr(int64(r.Uint32())),
		Load1m: ptr(r.Float64()), Load5m: ptr(0.5), Load15m: ptr(0.4), UptimeSeconds: ptr(int64(86400))}
	b, _ := json.Marshal(&a.hb)
	return b
}

func ptr[T any](v T) *T { return &v }
