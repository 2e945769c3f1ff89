package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/notify/webhook"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

const hookKey = "e2e-webhook-hmac-key-0123"

// hookReceiver counts signed webhook deliveries and when each arrived.
type hookReceiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	total   int
	byID    map[string]int
	arrived map[string]time.Time // by "event service"
	badSig  int
	got     chan struct{}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{byID: map[string]int{}, arrived: map[string]time.Time{}, got: make(chan struct{}, 10000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(req.Body)
		var m struct {
			Event       string `json:"event"`
			ServiceName string `json:"service_name"`
		}
		_ = json.Unmarshal(body, &m)
		r.mu.Lock()
		r.total++
		r.byID[req.Header.Get(webhook.IDHeader)]++
		if !webhook.Verify(hookKey, body, req.Header.Get(webhook.SignatureHeader)) {
			r.badSig++
		}
		if _, ok := r.arrived[m.Event+" "+m.ServiceName]; !ok {
			r.arrived[m.Event+" "+m.ServiceName] = at
		}
		r.mu.Unlock()
		r.got <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.total }

// waitCount waits until n deliveries arrived; the timeout only prevents a hang.
func (r *hookReceiver) waitCount(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for r.count() < n {
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d of %d deliveries arrived", r.count(), n)
		}
	}
}

func alertHubEnv(dbURL string) []string {
	// The test receivers listen on 127.0.0.1, which channels may reach only
	// when the operator allows private addresses.
	env := []string{"HOMELAB_CMD_API_KEY=" + testAPIKey, "HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_NOTIFY_ALLOW_PRIVATE=true"}
	if dbURL != "" {
		env = append(env, "HOMELAB_CMD_DATABASE_URL="+dbURL)
	}
	return env
}

func setupAlertHub(t *testing.T, hubURL, hookURL string, services int) {
	t.Helper()
	if code := api(t, "POST", hubURL+"/api/v1/servers", `{"id":"nas","hostname":"nas.lan"}`, nil); code != 201 {
		t.Fatalf("create server: %d", code)
	}
	for i := range services {
		if code := api(t, "POST", hubURL+"/api/v1/servers/nas/services", fmt.Sprintf(`{"service_name":"svc%d"}`, i), nil); code != 201 {
			t.Fatalf("create service: %d", code)
		}
	}
	body := fmt.Sprintf(`{"name":"hook","type":"webhook","min_severity":"low","config":{"url":%q,"secret":%q}}`, hookURL+"/hook", hookKey)
	if code := api(t, "POST", hubURL+"/api/v1/notifications/channels", body, nil); code != 201 {
		t.Fatalf("create channel: %d", code)
	}
	// These tests count or time each transition's own notification: no
	// grouping window, no recovery hold.
	if code := api(t, "PUT", hubURL+"/api/v1/config/thresholds", `{"group_seconds":0,"flapping":{"recovery_hold_seconds":0}}`, nil); code != 200 {
		t.Fatalf("thresholds: %d", code)
	}
}

// beat sends one heartbeat: every service running except down.
func beat(t *testing.T, hubURL string, services int, at time.Time, down ...int) {
	t.Helper()
	var svcs []string
	for i := range services {
		st := "running"
		if slices.Contains(down, i) {
			st = "stopped"
		}
		svcs = append(svcs, fmt.Sprintf(`{"name":"svc%d","status":%q}`, i, st))
	}
	body := fmt.Sprintf(`{"server_id":"nas","hostname":"nas.lan","timestamp":%q,"services":[%s]}`, at.UTC().Format(time.RFC3339Nano), strings.Join(svcs, ","))
	if code := api(t, "POST", hubURL+"/api/v1/agents/heartbeat", body, nil); code != 200 {
		t.Fatalf("heartbeat: %d", code)
	}
}

// Two hub processes on one PostgreSQL: every alert transition is delivered
// exactly once, also when one hub is killed (SIGKILL) half-way.
func TestTwoHubsNotifyExactlyOnce(t *testing.T) {
	dbURL := storetest.NewURL(t, "postgres")
	rcv := newHookReceiver(t)
	a := StartHub(t, t.TempDir(), alertHubEnv(dbURL))
	b := StartHub(t, t.TempDir(), alertHubEnv(dbURL))
	const services = 20
	setupAlertHub(t, a.URL, rcv.srv.URL, services)
	now := time.Now()
	hubs := []*Hub{a, b}
	transitions := 0
	// Each round stops one service (opened) and starts the previous one
	// (resolved), alternating hubs; hub b dies after round 10.
	for i := range services {
		h := hubs[i%2]
		if i > 10 {
			h = a
		}
		down := []int{i}
		beat(t, h.URL, services, now.Add(time.Duration(i)*time.Second), down...)
		transitions++
		if i > 0 {
			transitions++ // svc(i-1) resolved in the same heartbeat
		}
		if i == 10 {
			_ = b.cmd.Process.Kill()
			<-b.done
		}
	}
	beat(t, a.URL, services, now.Add(time.Minute))
	transitions++
	// A row claimed by the killed hub waits for its lease (60 s) to expire.
	rcv.waitCount(t, transitions, 90*time.Second)
	time.Sleep(2 * time.Second) // let any duplicate arrive
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.total != transitions || len(rcv.byID) != transitions || rcv.badSig != 0 {
		t.Fatalf("deliveries = %d (%d distinct ids, %d bad signatures), want exactly %d", rcv.total, len(rcv.byID), rcv.badSig, transitions)
	}
}

// TestMeasureAlertLatency measures heartbeat sent → notification received
// over 100 service stops. Run with HOMELAB_MEASURE=1; it logs p50/p99.
func TestMeasureAlertLatency(t *testing.T) {
	if os.Getenv("HOMELAB_MEASURE") == "" {
		t.Skip("measurement: set HOMELAB_MEASURE=1 to run")
	}
	engines := map[string]string{"sqlite": ""}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engines["postgres"] = storetest.NewURL(t, "postgres")
	}
	for engine, dbURL := range engines {
		t.Run(engine, func(t *testing.T) {
			rcv := newHookReceiver(t)
			h := StartHub(t, t.TempDir(), alertHubEnv(dbURL))
			const stops = 100
			setupAlertHub(t, h.URL, rcv.srv.URL, 1)
			now := time.Now()
			beat(t, h.URL, 1, now)
			var lat []time.Duration
			for i := range stops {
				at := now.Add(time.Duration(2*i+1) * time.Second)
				start := time.Now()
				beat(t, h.URL, 1, at, 0)
				rcv.waitCount(t, 2*i+1, 10*time.Second)
				rcv.mu.Lock()
				got := rcv.arrived["opened svc0"]
				delete(rcv.arrived, "opened svc0")
				rcv.mu.Unlock()
				lat = append(lat, got.Sub(start))
				beat(t, h.URL, 1, at.Add(time.Second))
				rcv.waitCount(t, 2*i+2, 10*time.Second)
			}
			slices.Sort(lat)
			t.Logf("%s: heartbeat → notification received over %d stops: p50 %v, p90 %v, p99 %v, max %v", engine, stops,
				lat[stops/2].Round(time.Millisecond/10), lat[stops*90/100].Round(time.Millisecond/10), lat[stops*99/100].Round(time.Millisecond/10), lat[stops-1].Round(time.Millisecond/10))
		})
	}
}
