package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEventsStream(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.do("GET", "/api/v1/events", nil), http.StatusUnauthorized)

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", a.srv.URL+"/api/v1/events", nil)
		req.Header.Set("X-API-Key", testKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		lines := bufio.NewScanner(resp.Body)
		if !lines.Scan() || lines.Text() != "retry: 2000" {
			t.Fatalf("first line %q, want the retry hint", lines.Text())
		}

		hb := map[string]any{"server_id": "nas-1", "hostname": "nas-1", "timestamp": time.Now().UTC().Format(time.RFC3339),
			"services": []map[string]any{{"name": "plex", "status": "stopped"}}}
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb), 200)

		seen := map[string]map[string]any{}
		var event string
		for len(seen) < 2 && lines.Scan() {
			line := lines.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var e map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err != nil {
					t.Fatalf("data is not JSON: %q", line)
				}
				if e["type"] != event {
					t.Errorf("event %q carries type %v", event, e["type"])
				}
				seen[event] = e
			}
		}
		if e := seen["server.updated"]; e == nil || e["server_id"] != "nas-1" {
			t.Errorf("server.updated = %v", e)
		}
		e := seen["service.changed"]
		if e == nil || e["server_id"] != "nas-1" {
			t.Fatalf("service.changed = %v", e)
		}
		if d, _ := e["data"].(map[string]any); d["service_name"] != "plex" || d["status"] != "stopped" {
			t.Errorf("service.changed data = %v", e["data"])
		}
	})
}
