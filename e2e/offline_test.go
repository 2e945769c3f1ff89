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
)

// offlineHub is a hub whose servers go offline after 30 s (the least the
// thresholds allow), with a webhook channel recording when each server's
// notification arrived.
func offlineHub(t *testing.T) (*Hub, *offlineReceiver) {
	t.Helper()
	rcv := &offlineReceiver{at: map[string]time.Time{}}
	rcv.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Event     string `json:"event"`
			AlertType string `json:"alert_type"`
			ServerID  string `json:"server_id"`
		}
		_ = json.Unmarshal(body, &m)
		rcv.mu.Lock()
		rcv.all = append(rcv.all, m.Event+" "+m.AlertType+" "+m.ServerID)
		if m.AlertType == "offline" && m.Event == "opened" {
			rcv.at[m.ServerID] = now
		}
		rcv.mu.Unlock()
	}))
	t.Cleanup(rcv.srv.Close)
	h := StartHub(t, t.TempDir(), alertHubEnv(""))
	if code := api(t, "PUT", h.URL+"/api/v1/config/thresholds", `{"server_offline_seconds":30}`, nil); code != 200 {
		t.Fatalf("thresholds: %d", code)
	}
	body := fmt.Sprintf(`{"name":"hook","type":"webhook","min_severity":"low","config":{"url":%q,"secret":%q}}`, rcv.srv.URL+"/hook", hookKey)
	if code := api(t, "POST", h.URL+"/api/v1/notifications/channels", body, nil); code != 200 && code != 201 {
		t.Fatalf("create channel: %d", code)
	}
	return h, rcv
}

type offlineReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	all []string
	at  map[string]time.Time
}

func (r *offlineReceiver) snapshot() ([]string, map[string]time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := map[string]time.Time{}
	for k, v := range r.at {
		at[k] = v
	}
	return append([]string(nil), r.all...), at
}

// beatServer sends one heartbeat for server id with the given services
// running and returns the hub's last_seen for it.
func beatServer(t *testing.T, hubURL, id string, services int) time.Time {
	t.Helper()
	var svcs []string
	for i := range services {
		svcs = append(svcs, fmt.Sprintf(`{"name":"svc%d","status":"running"}`, i))
	}
	body := fmt.Sprintf(`{"server_id":%q,"hostname":%q,"timestamp":%q,"services":[%s]}`, id, id, time.Now().UTC().Format(time.RFC3339Nano), strings.Join(svcs, ","))
	if code := api(t, "POST", hubURL+"/api/v1/agents/heartbeat", body, nil); code != 200 {
		t.Fatalf("heartbeat: %d", code)
	}
	var s struct {
		LastSeen time.Time `json:"last_seen"`
	}
	if code := api(t, "GET", hubURL+"/api/v1/servers/"+id, "", &s); code != 200 {
		t.Fatalf("server: %d", code)
	}
	return s.LastSeen
}

// A server with 20 expected services going offline sends one
// notification, and its services show stale while it is offline.
func TestOfflineServerIsOneNotificationAndStale(t *testing.T) {
	t.Parallel() // mostly waiting (windows, timeouts, leases): overlaps the others
	h, rcv := offlineHub(t)
	for i := range 20 {
		if i == 0 {
			beatServer(t, h.URL, "nas", 20)
		}
		if code := api(t, "POST", h.URL+"/api/v1/servers/nas/services", fmt.Sprintf(`{"service_name":"svc%d"}`, i), nil); code != 201 {
			t.Fatalf("create service: %d", code)
		}
	}
	beatServer(t, h.URL, "nas", 20)
	deadline := time.Now().Add(90 * time.Second)
	for {
		all, _ := rcv.snapshot()
		if len(all) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if all, _ := rcv.snapshot(); len(all) != 1 || all[0] != "opened offline nas" {
		t.Fatalf("notifications = %q, want one offline", all)
	}
	var svcs struct {
		Services []struct {
			CurrentStatus struct {
				Status string `json:"status"`
				Stale  bool   `json:"stale"`
			} `json:"current_status"`
		} `json:"services"`
	}
	if code := api(t, "GET", h.URL+"/api/v1/servers/nas/services", "", &svcs); code != 200 || len(svcs.Services) != 20 {
		t.Fatalf("services: %d %+v", code, svcs)
	}
	for _, s := range svcs.Services {
		if !s.CurrentStatus.Stale || s.CurrentStatus.Status != "running" {
			t.Fatalf("service while offline = %+v, want the last status, stale", s.CurrentStatus)
		}
	}
	beatServer(t, h.URL, "nas", 20)
	if code := api(t, "GET", h.URL+"/api/v1/servers/nas/services", "", &svcs); code != 200 || svcs.Services[0].CurrentStatus.Stale {
		t.Fatalf("services back online: %d %+v", code, svcs.Services[0])
	}
}

// TestMeasureOfflineDetection measures, over 40 servers, how long after its
// deadline (last heartbeat + offline timeout) each server's offline
// notification arrives. Run with HOMELAB_MEASURE=1; it logs p50/p99/max.
func TestMeasureOfflineDetection(t *testing.T) {
	if os.Getenv("HOMELAB_MEASURE") == "" {
		t.Skip("measurement: set HOMELAB_MEASURE=1 to run")
	}
	h, rcv := offlineHub(t)
	const servers = 40
	deadlines := map[string]time.Time{}
	for i := range servers {
		id := fmt.Sprintf("srv%02d", i)
		deadlines[id] = beatServer(t, h.URL, id, 0).Add(30 * time.Second)
		time.Sleep(173 * time.Millisecond) // spread the deadlines
	}
	limit := time.Now().Add(90 * time.Second)
	var at map[string]time.Time
	for time.Now().Before(limit) {
		if _, at = rcv.snapshot(); len(at) == servers {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(at) != servers {
		t.Fatalf("%d of %d offline notifications", len(at), servers)
	}
	var late []time.Duration
	for id, d := range deadlines {
		late = append(late, at[id].Sub(d))
	}
	slices.Sort(late)
	t.Logf("offline notification after the deadline over %d servers: min %v p50 %v p99 %v max %v", servers,
		late[0].Round(time.Millisecond), late[servers/2].Round(time.Millisecond), late[servers*99/100].Round(time.Millisecond), late[servers-1].Round(time.Millisecond))
}
