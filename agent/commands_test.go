package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/systemd"
	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
	"github.com/homelabcmd/homelabcmd/client"
)

func restartCmd(id int64, service string) homelabcmd.PendingCommand {
	return homelabcmd.PendingCommand{ActionID: id, ActionType: homelabcmd.ActionRestartService,
		Command: homelabcmd.RestartCommand(service), Parameters: map[string]string{"service_name": service}, TimeoutSeconds: 10}
}

// resultHub records action results; statuses answers the first requests.
type resultHub struct {
	mu       sync.Mutex
	statuses []int
	got      map[int64][]homelabcmd.ActionResult
	srv      *httptest.Server
}

func newResultHub(t *testing.T, statuses ...int) *resultHub {
	h := &resultHub{statuses: statuses, got: map[int64][]homelabcmd.ActionResult{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		num, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, client.CommandsPath+"/"), "/")
		id, err := strconv.ParseInt(num, 10, 64)
		var res homelabcmd.ActionResult
		if err != nil || r.URL.Query().Get("server_id") != "nas" || json.NewDecoder(r.Body).Decode(&res) != nil {
			w.WriteHeader(400)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.statuses) > 0 {
			st := h.statuses[0]
			h.statuses = h.statuses[1:]
			if st != 200 {
				w.WriteHeader(st)
				return
			}
		}
		h.got[id] = append(h.got[id], res)
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *resultHub) results(id int64) []homelabcmd.ActionResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]homelabcmd.ActionResult(nil), h.got[id]...)
}

func newExecutor(t *testing.T, hub *resultHub, units Restarter, monitored ...string) *Executor {
	cfg := testConfig(time.Minute, monitored...)
	cfg.RestartAllowlist = []string{"backup.timer", "nginx"}
	var rep ResultReporter
	if hub != nil {
		c := client.New(hub.srv.URL)
		c.APIKey = "test-key-0123456789"
		rep = c
	}
	return &Executor{Config: cfg, Units: units, Hub: rep, Logger: discard()}
}

func TestExecuteRestart(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	for _, u := range []string{"plex.service", "nginx.service", "sshd.service", "broken.service"} {
		fake.Add(u)
		fake.Start(u)
	}
	fake.FailStarts("broken.service", true)
	units := systemd.NewClient(addr, discard())
	t.Cleanup(units.Close)
	e := newExecutor(t, nil, units, "plex", "broken", "ghost")
	tests := []struct {
		name     string
		cmd      homelabcmd.PendingCommand
		ok       bool
		errPart  string
		restarts int // RestartUnit calls made so far
	}{
		{"monitored unit", restartCmd(1, "plex"), true, "", 1},
		{"allow-listed unit, full name", restartCmd(2, "nginx.service"), true, "", 2},
		{"outside the allow-list: refused, nothing run", restartCmd(3, "sshd"), false, "sshd.service is not in this agent's monitored_services or restart_allowlist; nothing was run", 2},
		{"invalid unit name", restartCmd(4, "plex; rm -rf /"), false, "refused: service name", 2},
		{"unknown action type", homelabcmd.PendingCommand{ActionID: 5, ActionType: "run_script", Parameters: map[string]string{"service_name": "plex"}}, false, "does not know the action type", 2},
		{"start fails", restartCmd(6, "broken"), false, `ended with result "failed"`, 3},
		{"unit does not exist", restartCmd(7, "ghost"), false, "RestartUnit ghost.service", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := fake.Unit("plex.service")
			res := e.Execute(context.Background(), tt.cmd)
			if res.Success != tt.ok || !strings.Contains(res.Error, tt.errPart) || (!tt.ok && res.Stderr != res.Error) {
				t.Fatalf("result %+v", res)
			}
			if got := fake.Calls("RestartUnit"); got != tt.restarts {
				t.Fatalf("RestartUnit called %d times, want %d", got, tt.restarts)
			}
			if tt.name == "monitored unit" {
				after, _ := fake.Unit("plex.service")
				if after.ActiveState != "active" || after.SubState != "running" || after.MainPID == before.MainPID {
					t.Fatalf("plex after restart %+v (before %+v)", after, before)
				}
			}
		})
	}
	if u, _ := fake.Unit("broken.service"); u.ActiveState != "failed" {
		t.Fatalf("broken after a failed start: %+v", u)
	}
}

// The same action id runs once however often it arrives; a result the hub
// cannot take at first (503) is delivered on a later try, then the loop
// is asked for a heartbeat.
func TestHandleRunsOnceAndRetriesTheResult(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("plex.service")
	fake.Start("plex.service")
	units := systemd.NewClient(addr, discard())
	t.Cleanup(units.Close)
	hub := newResultHub(t, 503, 503)
	e := newExecutor(t, hub, units, "plex")
	beats := make(chan struct{}, 10)
	e.AfterRestart = func() { beats <- struct{}{} }
	cmd := restartCmd(42, "plex")
	e.Handle(context.Background(), []homelabcmd.PendingCommand{cmd})
	e.Handle(context.Background(), []homelabcmd.PendingCommand{cmd, cmd})
	e.Wait()
	if got := fake.Calls("RestartUnit"); got != 1 {
		t.Fatalf("RestartUnit called %d times", got)
	}
	if res := hub.results(42); len(res) != 1 || !res[0].Success || res[0].DurationMS < 0 {
		t.Fatalf("results %+v", res)
	}
	select {
	case <-beats:
	default:
		t.Fatal("no heartbeat asked for after the restart")
	}
}

// A 409 (the hub already timed the action out) is final: no retries.
func TestResultRefusedIsFinal(t *testing.T) {
	hub := newResultHub(t, 409)
	e := newExecutor(t, hub, nil, "plex")
	start := time.Now()
	e.Handle(context.Background(), []homelabcmd.PendingCommand{restartCmd(7, "plex")})
	e.Wait()
	if len(hub.results(7)) != 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("results %+v after %v", hub.results(7), time.Since(start))
	}
}

func TestRecentActionsBounded(t *testing.T) {
	e := &Executor{}
	for i := range int64(recentActions + 10) {
		if !e.first(i) {
			t.Fatalf("id %d seen before", i)
		}
	}
	if e.first(recentActions+5) || len(e.recent) != recentActions || !e.first(0) {
		t.Fatalf("recent set: %d ids", len(e.recent))
	}
}

func upgradeCmd(id int64, target string) homelabcmd.PendingCommand {
	return homelabcmd.PendingCommand{ActionID: id, ActionType: homelabcmd.ActionUpgradeAgent,
		Command: homelabcmd.UpgradeCommand(target), Parameters: map[string]string{"target_version": target}, TimeoutSeconds: 30}
}

// upgrade_agent runs Upgrade with the target version, reports the result
// and then calls AfterUpgrade (the agent exits into the new binary); a
// failed upgrade is reported and the agent keeps running.
func TestExecuteUpgrade(t *testing.T) {
	hub := newResultHub(t)
	e := newExecutor(t, hub, nil)
	var targets []string
	e.Upgrade = func(_ context.Context, target string) (string, error) {
		targets = append(targets, target)
		if target == "9.9.9-bad" {
			return "", errors.New("checksum mismatch; nothing was replaced")
		}
		return "homelabcmd-agent " + target + " (go, linux/amd64)", nil
	}
	exits := 0
	e.AfterUpgrade = func() { exits++ }
	e.Handle(context.Background(), []homelabcmd.PendingCommand{upgradeCmd(1, "9.9.9")})
	e.Wait()
	if res := hub.results(1); len(res) != 1 || !res[0].Success || !strings.Contains(res[0].Stdout, "9.9.9") || exits != 1 {
		t.Fatalf("results %+v exits %d", res, exits)
	}
	e.Handle(context.Background(), []homelabcmd.PendingCommand{upgradeCmd(2, "9.9.9-bad")})
	e.Wait()
	if res := hub.results(2); len(res) != 1 || res[0].Success || !strings.Contains(res[0].Error, "checksum mismatch") || exits != 1 {
		t.Fatalf("results %+v exits %d", res, exits)
	}
	// Its own version, no target, no upgrader: refused without a call.
	for i, c := range []homelabcmd.PendingCommand{upgradeCmd(3, homelabcmd.Version), upgradeCmd(4, "")} {
		if res := e.Execute(context.Background(), c); res.Success {
			t.Fatalf("case %d: %+v", i, res)
		}
	}
	e.Upgrade = nil
	if res := e.Execute(context.Background(), upgradeCmd(5, "9.9.9")); res.Success || !strings.Contains(res.Error, "cannot upgrade itself") {
		t.Fatalf("no upgrader: %+v", res)
	}
	if len(targets) != 2 {
		t.Fatalf("Upgrade called for %v", targets)
	}
}

// apply_updates runs the agent's ApplyUpdates (refused without one), with
// the output and the reboot flag in the result.
func TestExecuteApplyUpdates(t *testing.T) {
	cmd := homelabcmd.PendingCommand{ActionID: 9, ActionType: homelabcmd.ActionApplyUpdates, TimeoutSeconds: 1800}
	e := newExecutor(t, nil, nil)
	if res := e.Execute(t.Context(), cmd); res.Success || !strings.Contains(res.Error, "does not apply updates") {
		t.Fatalf("without ApplyUpdates: %+v", res)
	}
	yes := true
	var deadline time.Time
	e.ApplyUpdates = func(ctx context.Context) (string, *bool, error) {
		deadline, _ = ctx.Deadline()
		return "Setting up openssl (3.0.14-1~deb12u1) ...", &yes, nil
	}
	res := e.Execute(t.Context(), cmd)
	if !res.Success || !strings.Contains(res.Stdout, "Setting up openssl") || res.RebootRequired == nil || !*res.RebootRequired {
		t.Fatalf("applied: %+v", res)
	}
	if d := time.Until(deadline); d < 29*time.Minute || d > 30*time.Minute {
		t.Fatalf("apply ran with %v left, want the command's 30 min", d)
	}
	e.ApplyUpdates = func(context.Context) (string, *bool, error) {
		return "E: Unable to locate package", nil, errors.New("exit status 100")
	}
	if res := e.Execute(t.Context(), cmd); res.Success || !strings.Contains(res.Error, "exit status 100") || !strings.Contains(res.Stdout, "Unable to locate") {
		t.Fatalf("failed apply: %+v", res)
	}
}
