package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// alertServices is how many services of an alerting agent are expected
// (alerts are raised for expected services only) and flip now and then.
const alertServices = 4

// AlertCheck is the outcome of the duplicate check: every alert opening and
// resolution should reach the webhook exactly once, however many hubs
// share the database.
type AlertCheck struct {
	Alerts, Resolved     int // alerts the hub lists, and how many resolved
	Deliveries, Distinct int // webhook posts, distinct (alert, event) pairs
	Redelivered          int // posts repeating an Idempotency-Key
}

// Duplicates is deliveries beyond one per (alert, event).
func (a AlertCheck) Duplicates() int { return a.Deliveries - a.Distinct }

func (a AlertCheck) String() string {
	return fmt.Sprintf("alerts: %d (%d resolved) → %d notifications expected; webhook: %d deliveries, %d distinct, %d duplicates, %d redelivered ids",
		a.Alerts, a.Resolved, a.Alerts+a.Resolved, a.Deliveries, a.Distinct, a.Duplicates(), a.Redelivered)
}

// hookReceiver is a webhook channel's target on loopback.
type hookReceiver struct {
	srv  *http.Server
	url  string
	mu   sync.Mutex
	n    int
	keys map[string]int // "alert_id event"
	ids  map[string]int // Idempotency-Key
}

func newHookReceiver() (*hookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookReceiver{url: "http://" + ln.Addr().String() + "/hook", keys: map[string]int{}, ids: map[string]int{}}
	h.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var m struct {
			AlertID int64  `json:"alert_id"`
			Event   string `json:"event"`
		}
		_ = json.Unmarshal(body, &m)
		h.mu.Lock()
		h.n++
		h.keys[strconv.FormatInt(m.AlertID, 10)+" "+m.Event]++
		if id := r.Header.Get("Idempotency-Key"); id != "" {
			h.ids[id]++
		}
		h.mu.Unlock()
	})}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *hookReceiver) counts() (n, distinct, redelivered int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.ids {
		redelivered += c - 1
	}
	return h.n, len(h.keys), redelivered
}

// setupAlerting makes the first n agents' first services expected, sends
// every notification at once (no grouping, no recovery hold, flapping out of
// reach) and adds a webhook channel to the receiver.
func setupAlerting(ctx context.Context, client *http.Client, c Config, hookURL string) error {
	hub := c.HubURLs[0]
	for i := range c.Alerting {
		id := agentID(i)
		if err := call(ctx, client, c.APIKey, "POST", hub+"/api/v1/servers", map[string]any{"id": id, "hostname": id}, 201); err != nil {
			return fmt.Errorf("alerting setup: %w", err)
		}
		for j := range min(alertServices, c.Services) {
			if err := call(ctx, client, c.APIKey, "POST", hub+"/api/v1/servers/"+id+"/services", map[string]any{"service_name": serviceName(j)}, 201); err != nil {
				return fmt.Errorf("alerting setup: %w", err)
			}
		}
	}
	thresholds := map[string]any{"group_seconds": 0, "flapping": map[string]any{"changes": 100, "window_seconds": 10, "recovery_hold_seconds": 0}}
	if err := call(ctx, client, c.APIKey, "PUT", hub+"/api/v1/config/thresholds", thresholds, 200); err != nil {
		return fmt.Errorf("alerting setup: %w", err)
	}
	channel := map[string]any{"name": "loadgen-" + strconv.FormatInt(time.Now().UnixNano(), 36), "type": "webhook", "min_severity": "low",
		"config": map[string]any{"url": hookURL, "secret": "loadgen-webhook-key-0123456789"}}
	if err := call(ctx, client, c.APIKey, "POST", hub+"/api/v1/notifications/channels", channel, 201); err != nil {
		return fmt.Errorf("alerting setup (the hub needs notify_allow_private=true to reach loopback): %w", err)
	}
	return nil
}

// checkAlerts waits (up to settle) until the webhook has one delivery per
// alert opening and resolution, then compares.
func checkAlerts(ctx context.Context, client *http.Client, c Config, h *hookReceiver, settle time.Duration) (AlertCheck, error) {
	var a AlertCheck
	deadline := time.Now().Add(settle)
	for {
		var err error
		a.Alerts, a.Resolved, err = countAlerts(ctx, client, c)
		if err != nil {
			return a, err
		}
		a.Deliveries, a.Distinct, a.Redelivered = h.counts()
		if a.Distinct >= a.Alerts+a.Resolved || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	time.Sleep(2 * time.Second) // room for a duplicate to show up
	var err error
	a.Alerts, a.Resolved, err = countAlerts(ctx, client, c)
	a.Deliveries, a.Distinct, a.Redelivered = h.counts()
	return a, err
}

// countAlerts pages through GET /api/v1/alerts (at most 100,000 alerts).
func countAlerts(ctx context.Context, client *http.Client, c Config) (alerts, resolved int, err error) {
	for offset := 0; offset < 100000; offset += 100 {
		var page struct {
			Alerts []struct {
				Status string `json:"status"`
			} `json:"alerts"`
		}
		req, err := http.NewRequestWithContext(ctx, "GET", c.HubURLs[0]+"/api/v1/alerts?limit=100&offset="+strconv.Itoa(offset), nil)
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("X-API-Key", c.APIKey)
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("list alerts: %w", err)
		}
		for _, x := range page.Alerts {
			alerts++
			if x.Status == "resolved" {
				resolved++
			}
		}
		if len(page.Alerts) < 100 {
			break
		}
	}
	return alerts, resolved, nil
}

// call sends one JSON API request and checks its status.
func call(ctx context.Context, client *http.Client, apiKey, method, url string, body any, want int) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return do(ctx, client, apiKey, method, url, b, want)
}
