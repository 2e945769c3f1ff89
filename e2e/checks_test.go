package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

// checkView is what the test reads of GET /api/v1/checks/{id}.
type checkView struct {
	State  string `json:"state"`
	Agents []struct {
		ServerID string `json:"server_id"`
		Status   string `json:"status"`
	} `json:"agents"`
}

func (v checkView) agent(id string) string {
	for _, a := range v.Agents {
		if a.ServerID == id {
			return a.Status
		}
	}
	return ""
}

// A check defined on the hub reaches two real agents in their heartbeat
// answers; they probe a real HTTP server on loopback. When only one agent
// sees it failing (the server answers 503 to that agent's probes, told
// apart by the User-Agent) the per-agent results show it and nothing
// alerts (quorum: all agents); when both see it failing past the retry,
// the check alerts; when it recovers, the alert resolves.
func TestCheckAlertsWithQuorumAndResolves(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	failFor := map[string]bool{}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for id, fail := range failFor {
			if fail && strings.Contains(r.UserAgent(), "from "+id+")") {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(target.Close)
	fail := func(ids ...string) {
		mu.Lock()
		defer mu.Unlock()
		clear(failFor)
		for _, id := range ids {
			failFor[id] = true
		}
	}

	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	for _, id := range []string{"e2e-a", "e2e-b"} {
		if code := api(t, "POST", h.URL+"/api/v1/servers", `{"id":"`+id+`","hostname":"`+id+`"}`, nil); code != 201 {
			t.Fatalf("create server %s: %d", id, code)
		}
	}
	var created struct {
		ID int64 `json:"id"`
	}
	body := `{"name":"web","type":"http","target":"` + target.URL + `/health","interval_seconds":5,"timeout_seconds":2,"retries":1,"critical":true,"server_ids":["e2e-a","e2e-b"]}`
	if code := api(t, "POST", h.URL+"/api/v1/checks", body, &created); code != 201 {
		t.Fatalf("create check: %d", code)
	}
	_, bus := fakesystemd.New(t)
	for _, id := range []string{"e2e-a", "e2e-b"} {
		StartAgent(t, fmt.Sprintf("hub_url: %s\nserver_id: %s\napi_key: %s\nheartbeat_interval: 5\nsystemd_bus_address: %q\noutbox_dir: %s\n",
			h.URL, id, testAPIKey, bus, filepath.Join(t.TempDir(), "outbox")), "-v")
	}
	url := fmt.Sprintf("%s/api/v1/checks/%d", h.URL, created.ID)
	wait := func(what string, ok func(checkView) bool) {
		t.Helper()
		start := time.Now()
		var v checkView
		for time.Since(start) < 40*time.Second {
			v = checkView{}
			api(t, "GET", url, "", &v)
			if ok(v) {
				t.Logf("%s after %v", what, time.Since(start).Round(100*time.Millisecond))
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: not within 40 s: %+v", what, v)
	}
	alerts := func() (open, resolved int) {
		var list struct {
			Alerts []struct {
				Status   string `json:"status"`
				Severity string `json:"severity"`
			} `json:"alerts"`
		}
		api(t, "GET", h.URL+"/api/v1/alerts?alert_type=check", "", &list)
		for _, a := range list.Alerts {
			if a.Status == "resolved" {
				resolved++
			} else if a.Severity == "critical" {
				open++
			}
		}
		return open, resolved
	}

	wait("both agents see it up", func(v checkView) bool { return v.agent("e2e-a") == "up" && v.agent("e2e-b") == "up" })
	fail("e2e-a")
	wait("e2e-a sees it down after the retry", func(v checkView) bool { return v.agent("e2e-a") == "down" && v.agent("e2e-b") == "up" })
	if v := (checkView{}); api(t, "GET", url, "", &v) != 200 || v.State != "up" {
		t.Fatalf("one of two agents failing must not fail the check (quorum all): %+v", v)
	}
	if open, _ := alerts(); open != 0 {
		t.Fatalf("%d check alerts with one of two agents failing", open)
	}
	fail("e2e-a", "e2e-b")
	wait("both agents see it down", func(v checkView) bool { return v.State == "down" })
	if open, _ := alerts(); open != 1 {
		t.Fatalf("%d open critical check alerts, want 1", open)
	}
	fail()
	wait("it recovers", func(v checkView) bool { return v.State == "up" })
	// The alert resolves once the recovery has held (10 s by default),
	// judged at the next result.
	start := time.Now()
	for {
		open, resolved := alerts()
		if open == 0 && resolved == 1 {
			t.Logf("alert resolved %v after the recovery", time.Since(start).Round(100*time.Millisecond))
			break
		}
		if time.Since(start) > 40*time.Second {
			t.Fatalf("after recovery: %d open, %d resolved check alerts", open, resolved)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
