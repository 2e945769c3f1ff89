package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// dashboards counts what the simulated dashboards saw on the live event
// stream (GET /api/v1/events, the route the web UI's EventSource opens).
type dashboards struct {
	mu     sync.Mutex
	events map[string]int // by event type
	// from is when every dashboard should be connected: server.updated
	// events after it are counted in updates, to compare with heartbeats.
	from       time.Time
	updates    int
	connects   int
	reconnects int
	errors     int
	firstErr   string
}

// run holds one dashboard's stream open until ctx ends, reconnecting after
// 2 s like a browser (the stream's retry field) when it drops.
func (d *dashboards) run(ctx context.Context, client *http.Client, hubURL, apiKey string) {
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			d.mu.Lock()
			d.reconnects++
			d.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
		err := d.stream(ctx, client, hubURL, apiKey)
		if ctx.Err() != nil {
			return // the run ended: not the hub's error
		}
		d.mu.Lock()
		d.errors++
		if d.firstErr == "" {
			d.firstErr = "dashboard: " + err.Error()
		}
		d.mu.Unlock()
	}
}

// stream reads one connection's events; it returns why the stream ended.
func (d *dashboards) stream(ctx context.Context, client *http.Client, hubURL, apiKey string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", hubURL+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-API-Key", apiKey)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	d.mu.Lock()
	d.connects++
	d.mu.Unlock()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if t, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			d.mu.Lock()
			d.events[t]++
			if t == "server.updated" && time.Now().After(d.from) {
				d.updates++
			}
			d.mu.Unlock()
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("stream ended by the hub")
}
