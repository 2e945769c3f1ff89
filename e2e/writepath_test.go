package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// The hub is killed (SIGKILL) right after it acknowledged a heartbeat; after a
// restart the current status is that of the last acknowledged report,
// figures (pid, memory, cpu, restarts) and time included, on both engines.
// The heartbeats between state changes write no current-status row (issue
// 18), so this checks that what they write instead is durable.
func TestCurrentStatusSurvivesKill(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		env := []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey, "HOMELAB_CMD_DATABASE_URL=" + dbURL}
		port := freePort(t)
		h := startHubOnPort(t, dir, env, port)
		api(t, "POST", h.URL+"/api/v1/servers", `{"id":"crash","hostname":"crash"}`, nil)
		for _, s := range []string{"plex", "sonarr"} {
			api(t, "POST", h.URL+"/api/v1/servers/crash/services", fmt.Sprintf(`{"service_name":%q}`, s), nil)
		}
		t0 := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
		send := func(n int, plex string) time.Time {
			at := t0.Add(time.Duration(n) * time.Second)
			body := fmt.Sprintf(`{"server_id":"crash","hostname":"crash","timestamp":%q,"services":[
				{"name":"plex","status":%q,"pid":%d,"memory_mb":%d.5,"cpu_percent":%d.25,"restarts":%d},
				{"name":"sonarr","status":"running","pid":%d,"memory_mb":%d,"cpu_percent":1}]}`,
				at.Format(time.RFC3339Nano), plex, 100+n, 200+n, n, n, 300+n, 400+n)
			if code := api(t, "POST", h.URL+"/api/v1/agents/heartbeat", body, nil); code != 200 {
				t.Fatalf("heartbeat %d: %d", n, code)
			}
			return at
		}
		send(1, "running")
		send(2, "stopped") // a state change: rows written
		send(3, "stopped")
		last := send(4, "stopped") // acknowledged, then the hub dies
		_ = h.cmd.Process.Kill()
		<-h.done

		h = startHubOnPort(t, dir, env, port)
		var list struct {
			Services []struct {
				ServiceName   string `json:"service_name"`
				CurrentStatus *struct {
					Status     string    `json:"status"`
					PID        *int      `json:"pid"`
					MemoryMB   *float64  `json:"memory_mb"`
					CPUPercent *float64  `json:"cpu_percent"`
					Restarts   *int      `json:"restarts"`
					LastSeen   time.Time `json:"last_seen"`
				} `json:"current_status"`
			} `json:"services"`
		}
		if code := api(t, "GET", h.URL+"/api/v1/servers/crash/services", "", &list); code != 200 {
			t.Fatalf("list services: %d", code)
		}
		got := map[string]string{}
		for _, s := range list.Services {
			c := s.CurrentStatus
			if c == nil || c.PID == nil || c.MemoryMB == nil {
				t.Fatalf("%s: current status %+v", s.ServiceName, c)
			}
			r := -1
			if c.Restarts != nil {
				r = *c.Restarts
			}
			cpu := -1.0
			if c.CPUPercent != nil {
				cpu = *c.CPUPercent
			}
			got[s.ServiceName] = fmt.Sprintf("%s pid=%d mem=%g cpu=%g restarts=%d seen=%s", c.Status, *c.PID, *c.MemoryMB, cpu, r, c.LastSeen.UTC().Format(time.RFC3339))
		}
		want := map[string]string{
			"plex":   fmt.Sprintf("stopped pid=104 mem=204.5 cpu=4.25 restarts=4 seen=%s", last.Format(time.RFC3339)),
			"sonarr": fmt.Sprintf("running pid=304 mem=404 cpu=1 restarts=-1 seen=%s", last.Format(time.RFC3339)),
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%s after SIGKILL and restart: %s, want %s", name, got[name], w)
			}
		}
	})
}
