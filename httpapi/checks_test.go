package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The checks API: create with defaults, bad input named by field, a
// partial update that keeps the other fields, a refused type change,
// results from a heartbeat in the per-agent results and the history, and
// delete.
func TestChecksAPI(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb("pi", time.Now())), 200)
		for _, tc := range []struct {
			body map[string]any
			loc  string
		}{
			{map[string]any{"name": "web", "type": "http", "target": "plex.lan", "server_ids": []string{"pi"}}, "body.target"},
			{map[string]any{"name": "", "type": "tcp", "target": "nas:445", "all_agents": true}, "body.name"},
			{map[string]any{"name": "web", "type": "tcp", "target": "nas:445", "all_agents": true, "retries": 11}, "body.retries"},
			{map[string]any{"name": "web", "type": "tcp", "target": "nas:445", "all_agents": true, "interval_seconds": "60"}, "body.interval_seconds"},
		} {
			expectFieldError(t, a.op("POST", "/api/v1/checks", tc.body), tc.loc)
		}
		expectCode(t, a.op("POST", "/api/v1/checks", map[string]any{"name": "web", "type": "tcp", "target": "nas:445", "server_ids": []string{"nope"}}), 404, "NOT_FOUND")

		r := a.op("POST", "/api/v1/checks", map[string]any{"name": "web", "type": "http", "target": "http://plex.lan/", "server_ids": []string{"pi"},
			"keyword": "Plex", "headers": map[string]string{"X-A": "1"}})
		expectStatus(t, r, 201)
		c := r.json(t)
		if c["interval_seconds"] != 60.0 || c["timeout_seconds"] != 10.0 || c["method"] != "GET" || c["enabled"] != true {
			t.Fatalf("defaults: %s", r.Body)
		}
		id := int64(c["id"].(float64))
		path := fmt.Sprintf("/api/v1/checks/%d", id)
		expectCode(t, a.op("POST", "/api/v1/checks", map[string]any{"name": "web", "type": "ping", "target": "nas", "all_agents": true}), 409, "CONFLICT")

		r = a.op("PUT", path, map[string]any{"critical": true, "headers": map[string]string{"X-B": "2"}})
		expectStatus(t, r, 200)
		u := r.json(t)
		if u["critical"] != true || u["keyword"] != "Plex" || u["target"] != "http://plex.lan/" || fmt.Sprint(u["headers"]) != "map[X-B:2]" {
			t.Fatalf("partial update: %s", r.Body)
		}
		expectFieldError(t, a.op("PUT", path, map[string]any{"type": "tcp"}), "body.type")
		expectCode(t, a.op("PUT", "/api/v1/checks/999", map[string]any{"critical": true}), 404, "NOT_FOUND")

		res := a.op("POST", "/api/v1/agents/heartbeat", map[string]any{"server_id": "pi", "hostname": "pi.lan", "timestamp": time.Now().Format(time.RFC3339Nano),
			"check_results": []map[string]any{{"check_id": id, "status": "down", "latency_ms": 4.5, "status_code": 503, "error": "HTTP status 503", "checked_at": time.Now().Format(time.RFC3339Nano)}}})
		expectStatus(t, res, 200)
		if got := jsonString(res.json(t)["checks"]); got == "[]" {
			t.Fatalf("no checks in the heartbeat answer")
		}
		expectFieldError(t, a.op("POST", "/api/v1/agents/heartbeat", map[string]any{"server_id": "pi", "hostname": "pi.lan", "timestamp": time.Now().Format(time.RFC3339Nano),
			"check_results": []map[string]any{{"check_id": id, "status": "broken", "checked_at": time.Now().Format(time.RFC3339Nano)}}}), "body.check_results.0.status")

		r = a.op("GET", path+"/results", nil)
		expectStatus(t, r, 200)
		if got := jsonString(r.json(t)["total"]); got != "1" {
			t.Fatalf("results: %s", r.Body)
		}
		r = a.op("GET", path, nil)
		if st := r.json(t)["state"]; st != "down" {
			t.Fatalf("state %v: %s", st, r.Body)
		}
		r = a.op("GET", path+"/history?hours=1", nil)
		expectStatus(t, r, 200)
		if got := jsonString(r.json(t)["total"]); got != "1" {
			t.Fatalf("history: %s", r.Body)
		}
		expectFieldError(t, a.op("GET", path+"/history?hours=0", nil), "query.hours")
		if got := jsonString(a.op("GET", "/api/v1/checks?server_id=pi", nil).json(t)["total"]); got != "1" {
			t.Fatal("the server's checks")
		}
		expectStatus(t, a.op("DELETE", path, nil), 204)
		expectCode(t, a.op("GET", path, nil), 404, "NOT_FOUND")
	})
}

// A check assigned by tag runs on the servers with that tag (the heartbeat
// answer and the server's check list) and on no other; a bad tag is a
// field error.
func TestCheckAssignedByTag(t *testing.T) {
	forEachAPI(t, func(t *testing.T, a *api) {
		for _, id := range []string{"nas", "pi"} {
			expectStatus(t, a.op("POST", "/api/v1/agents/heartbeat", hb(id, time.Now())), 200)
		}
		expectStatus(t, a.op("PUT", "/api/v1/servers/nas", map[string]any{"tags": []string{"media", "storage"}}), 200)
		expectFieldError(t, a.op("POST", "/api/v1/checks", map[string]any{"name": "plex", "type": "tcp", "target": "127.0.0.1:32400", "tags": []string{"Media!"}}), "body.tags")
		r := a.op("POST", "/api/v1/checks", map[string]any{"name": "plex", "type": "tcp", "target": "127.0.0.1:32400", "tags": []string{"media"}})
		expectStatus(t, r, 201)
		if got := jsonString(r.json(t)["tags"]); got != `["media"]` {
			t.Fatalf("tags = %s", got)
		}
		for id, want := range map[string]bool{"nas": true, "pi": false} {
			answer := jsonString(a.op("POST", "/api/v1/agents/heartbeat", hb(id, time.Now())).json(t)["checks"])
			list := jsonString(a.op("GET", "/api/v1/checks?server_id="+id, nil).json(t)["checks"])
			if got := strings.Contains(answer, `"plex"`); got != want || strings.Contains(list, `"plex"`) != want {
				t.Fatalf("%s runs the tagged check: answer %s, list %s; want %v", id, answer, list, want)
			}
		}
		expectStatus(t, a.op("PUT", "/api/v1/servers/pi", map[string]any{"tags": []string{"media"}}), 200)
		if answer := jsonString(a.op("POST", "/api/v1/agents/heartbeat", hb("pi", time.Now())).json(t)["checks"]); !strings.Contains(answer, `"plex"`) {
			t.Fatalf("pi tagged media does not run the check: %s", answer)
		}
	})
}
