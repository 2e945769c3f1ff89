package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
	"github.com/homelabcmd/homelabcmd/agent/systemd"
	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
	"github.com/homelabcmd/homelabcmd/client"
)

// fakeHost reports fixed host values, filesystems only in full heartbeats.
type fakeHost struct{}

func (fakeHost) Name() string { return "host" }
func (fakeHost) Collect(_ context.Context, full bool) (collect.Part, error) {
	return func(hb *homelabcmd.Heartbeat) {
		v := 12.5
		hb.Metrics = &homelabcmd.Metrics{CPUPercent: &v}
		hb.OSInfo, hb.CPUInfo = &homelabcmd.OSInfo{}, &homelabcmd.CPUInfo{}
		if full {
			hb.Filesystems = []homelabcmd.Filesystem{{MountPoint: "/", Device: "/dev/sda1", FSType: "ext4", TotalBytes: 100, UsedBytes: 50, Percent: 50}}
		}
	}, nil
}

// fakeHub records heartbeats; fail decides per request whether to answer
// with an error status.
type fakeHub struct {
	mu       sync.Mutex
	got      []homelabcmd.Heartbeat
	expected []string
	status   int // 0 = 200
	arrived  chan homelabcmd.Heartbeat
	srv      *httptest.Server
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{arrived: make(chan homelabcmd.Heartbeat, 1000)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "test-key-0123456789" {
			w.WriteHeader(401)
			return
		}
		var hb homelabcmd.Heartbeat
		if err := json.NewDecoder(r.Body).Decode(&hb); err != nil {
			w.WriteHeader(422)
			return
		}
		h.mu.Lock()
		status, expected := h.status, h.expected
		if status == 0 {
			h.got = append(h.got, hb)
		}
		h.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		h.arrived <- hb
		json.NewEncoder(w).Encode(homelabcmd.HeartbeatResponse{Status: "ok", ExpectedServices: expected})
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) set(status int, expected []string) {
	h.mu.Lock()
	h.status, h.expected = status, expected
	h.mu.Unlock()
}

// next waits for the next heartbeat; the timeout only prevents a hang.
func (h *fakeHub) next(t *testing.T) homelabcmd.Heartbeat {
	t.Helper()
	select {
	case hb := <-h.arrived:
		return hb
	case <-time.After(15 * time.Second):
		t.Fatal("no heartbeat arrived")
	}
	return homelabcmd.Heartbeat{}
}

func status(hb homelabcmd.Heartbeat, name string) homelabcmd.ServiceStatusValue {
	for _, s := range hb.Services {
		if s.Name == name {
			return s.Status
		}
	}
	return ""
}

// startAgent runs an agent with the fake host collector and, when units is
// set, the systemd collector on it.
func startAgent(t *testing.T, cfg *Config, units *systemd.Client, hub *fakeHub, outboxDir string) *Agent {
	t.Helper()
	return startAgentEmit(t, cfg, units, hub, outboxDir, nil)
}

func startAgentEmit(t *testing.T, cfg *Config, units *systemd.Client, hub *fakeHub, outboxDir string, emit func(*homelabcmd.Heartbeat)) *Agent {
	t.Helper()
	c := client.New(hub.srv.URL)
	c.APIKey = "test-key-0123456789"
	a := &Agent{Config: cfg, Collectors: []collect.Collector{fakeHost{}}, Sender: c, Logger: discard(), Emit: emit}
	if units != nil {
		a.Collectors = append(a.Collectors, systemd.NewCollector(units, a.WatchList, discard()))
	}
	if outboxDir != "" {
		a.Outbox = mustOpen(t, outboxDir, 1<<20, time.Hour)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func testConfig(interval time.Duration, services ...string) *Config {
	c := Defaults()
	c.ServerID, c.Hostname, c.HeartbeatInterval, c.MonitoredServices = "nas", "nas", interval, services
	return c
}

// With an hour between ticks, every heartbeat after the first can only come
// from a unit change: stop, fail, start, vanish each send one.
func TestUnitChangeSendsHeartbeat(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("plex.service")
	fake.Start("plex.service")
	fake.Add("other.service")
	units := systemd.NewClient(addr, discard())
	t.Cleanup(units.Close)
	hub := newFakeHub(t)
	startAgent(t, testConfig(time.Hour, "plex"), units, hub, "")

	if hb := hub.next(t); status(hb, "plex") != homelabcmd.StatusRunning || hb.Filesystems == nil {
		t.Fatalf("first heartbeat %+v", hb)
	}
	// An unwatched unit changing sends nothing; the next heartbeat is plex's.
	fake.Start("other.service")
	for _, step := range []struct {
		do   func()
		want homelabcmd.ServiceStatusValue
	}{
		{func() { fake.Stop("plex.service") }, homelabcmd.StatusStopped},
		{func() { fake.Fail("plex.service") }, homelabcmd.StatusFailed},
		{func() { fake.Start("plex.service") }, homelabcmd.StatusRunning},
		{func() { fake.Remove("plex.service") }, homelabcmd.StatusUnknown},
	} {
		step.do()
		hb := hub.next(t)
		if got := status(hb, "plex"); got != step.want {
			t.Fatalf("after change: plex %q, want %q", got, step.want)
		}
		if status(hb, "other") != "" {
			t.Fatal("an unwatched unit was reported")
		}
	}
}

// A burst of changes leaves as one heartbeat with the final state.
func TestBurstIsCoalesced(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("plex.service")
	fake.Start("plex.service")
	units := systemd.NewClient(addr, discard())
	t.Cleanup(units.Close)
	hub := newFakeHub(t)
	startAgent(t, testConfig(time.Hour, "plex"), units, hub, "")
	hub.next(t)
	for range 5 {
		fake.Stop("plex.service")
		fake.Start("plex.service")
	}
	fake.Fail("plex.service")
	hb := hub.next(t)
	for status(hb, "plex") != homelabcmd.StatusFailed {
		hb = hub.next(t) // the burst may straddle two windows, never more heartbeats than changes
	}
	hub.mu.Lock()
	n := len(hub.got)
	hub.mu.Unlock()
	if n > 4 {
		t.Fatalf("%d heartbeats for one burst of 11 changes", n-1)
	}
}

// An expected service from the hub's answer is watched from the next
// heartbeat on, and its changes trigger heartbeats.
func TestExpectedServicesJoinTheWatchSet(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("nginx.service")
	fake.Start("nginx.service")
	units := systemd.NewClient(addr, discard())
	t.Cleanup(units.Close)
	hub := newFakeHub(t)
	hub.set(0, []string{"nginx"})
	startAgent(t, testConfig(100*time.Millisecond, "plex"), units, hub, "")
	if hb := hub.next(t); status(hb, "nginx") != "" || status(hb, "plex") != homelabcmd.StatusUnknown {
		t.Fatalf("first heartbeat %+v", hb.Services)
	}
	if hb := hub.next(t); status(hb, "nginx") != homelabcmd.StatusRunning {
		t.Fatalf("second heartbeat %+v", hb.Services)
	}
}

// No bus: services are unknown with the reason, metrics still flow.
func TestNoSystemdReportsUnknown(t *testing.T) {
	units := systemd.NewClient("unix:path="+t.TempDir()+"/nothing", discard())
	t.Cleanup(units.Close)
	hub := newFakeHub(t)
	startAgent(t, testConfig(50*time.Millisecond, "plex", "sshd"), units, hub, "")
	for range 2 {
		hb := hub.next(t)
		if len(hb.Services) != 2 || hb.Metrics == nil || hb.Metrics.CPUPercent == nil {
			t.Fatalf("%+v", hb)
		}
		for _, s := range hb.Services {
			if s.Status != homelabcmd.StatusUnknown || s.StatusReason == nil {
				t.Fatalf("%+v", s)
			}
		}
	}
}

// The hub fails for a while: heartbeats go to the outbox and arrive later,
// every one made, in the order made, with its original timestamp.
func TestOutageReplaysInOrder(t *testing.T) {
	hub := newFakeHub(t)
	var mu sync.Mutex
	var made []time.Time
	emit := func(hb *homelabcmd.Heartbeat) {
		mu.Lock()
		made = append(made, hb.Timestamp.Time)
		mu.Unlock()
	}
	a := startAgentEmit(t, testConfig(20*time.Millisecond), nil, hub, t.TempDir(), emit)
	hub.next(t)
	hub.set(503, nil)
	deadline := time.Now().Add(15 * time.Second)
	for a.Outbox.Len() < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.Outbox.Len() < 10 {
		t.Fatalf("outbox has %d heartbeats", a.Outbox.Len())
	}
	hub.set(0, nil)
	for a.Outbox.Len() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	want := append([]time.Time(nil), made...)
	mu.Unlock()
	// Everything made so far must arrive (later ones may too).
	for {
		hub.mu.Lock()
		n := len(hub.got)
		hub.mu.Unlock()
		if n >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d heartbeats arrived", n, len(want))
		}
		time.Sleep(10 * time.Millisecond)
	}
	hub.mu.Lock()
	got := append([]homelabcmd.Heartbeat(nil), hub.got...)
	hub.mu.Unlock()
	for i, ts := range want {
		if !got[i].Timestamp.Equal(ts) {
			t.Fatalf("heartbeat %d: hub got timestamp %v, agent made %v (out of order or lost)", i, got[i].Timestamp, ts)
		}
	}
}

// A heartbeat the hub rejects as invalid is dropped, not retried forever;
// later ones still go through.
func TestRejectedHeartbeatIsDropped(t *testing.T) {
	hub := newFakeHub(t)
	hub.set(422, nil)
	a := startAgent(t, testConfig(30*time.Millisecond), nil, hub, t.TempDir())
	time.Sleep(100 * time.Millisecond)
	if a.Outbox.Len() != 0 {
		t.Fatalf("a rejected heartbeat was kept: %d", a.Outbox.Len())
	}
	hub.set(0, nil)
	hub.next(t)
}

func TestDeliveryKeepDecision(t *testing.T) {
	tests := []struct {
		name string
		err  error
		keep bool
	}{
		{"network", &client.Error{Message: "refused", Retryable: true}, true},
		{"503", &client.Error{StatusCode: 503, Retryable: true}, true},
		{"429", &client.Error{StatusCode: 429, Retryable: true}, true},
		{"401 fixable by the operator", &client.Error{StatusCode: 401}, true},
		{"403 inactive", &client.Error{StatusCode: 403}, true},
		{"422 invalid body", &client.Error{StatusCode: 422}, false},
		{"400", &client.Error{StatusCode: 400}, false},
		{"413", &client.Error{StatusCode: 413}, false},
		{"other error", errors.New("x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &delivery{agent: &Agent{Config: testConfig(time.Minute), Logger: discard()}}
			if got := d.keep(tt.err); got != tt.keep {
				t.Fatalf("keep = %v", got)
			}
		})
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	d := newDelivery(&Agent{Config: testConfig(10 * time.Second), Logger: discard()}, nil)
	for attempt, want := range map[int]time.Duration{1: MinBackoff, 2: 2 * MinBackoff, 3: 4 * MinBackoff, 10: 10 * time.Second, 50: 10 * time.Second} {
		for range 20 {
			if w := d.retry.Delay(attempt); w < want/2 || w > want {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", attempt, w, want/2, want)
			}
		}
	}
}

// The watchdog is pinged from the loop while it runs.
func TestWatchdogPingedFromLoop(t *testing.T) {
	hub := newFakeHub(t)
	pings := make(chan struct{}, 100)
	c := client.New(hub.srv.URL)
	c.APIKey = "test-key-0123456789"
	a := &Agent{Config: testConfig(time.Hour), Collectors: []collect.Collector{fakeHost{}}, Sender: c, Logger: discard(),
		Watchdog: 30 * time.Millisecond, Ping: func() { pings <- struct{}{} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 3 {
		select {
		case <-pings:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d watchdog pings", i)
		}
	}
}

// badCollector fails in its own way: an error, a hang past the deadline
// that ignores ctx, or a panic.
type badCollector struct {
	name string
	do   func() error
}

func (b badCollector) Name() string { return b.name }
func (b badCollector) Collect(context.Context, bool) (collect.Part, error) {
	return func(hb *homelabcmd.Heartbeat) { hb.Hostname = "overwritten by " + b.name }, b.do()
}

// Collectors that fail, hang or panic leave their parts out; the heartbeat
// still goes out on time with the others' parts, again and again.
func TestBadCollectorsDoNotStopTheHeartbeat(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	hub := newFakeHub(t)
	c := client.New(hub.srv.URL)
	c.APIKey = "test-key-0123456789"
	a := &Agent{Config: testConfig(50 * time.Millisecond), Sender: c, Logger: discard(), Timeout: 100 * time.Millisecond,
		Collectors: []collect.Collector{
			badCollector{"erring", func() error { return errors.New("no such source") }},
			badCollector{"hanging", func() error { <-hang; return nil }},
			badCollector{"panicking", func() error { panic("bug") }},
			fakeHost{},
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for range 3 {
		hb := hub.next(t)
		if hb.Metrics == nil || hb.Metrics.CPUPercent == nil || hb.Hostname != "nas" {
			t.Fatalf("heartbeat %+v", hb)
		}
	}
}
