package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
	"github.com/homelabcmd/homelabcmd/agent/updates/apttest"
	"github.com/homelabcmd/homelabcmd/agent/updates/packagekit"
	"github.com/homelabcmd/homelabcmd/agent/updates/packagekit/fakepackagekit"
)

// v1Agent plays the original HomelabCmd v1 agent against the real hub: it
// sends heartbeats without capabilities (agent_version 1.x), "runs" the
// restart_service commands handed to it in pending_commands (checking them
// against its whitelist, as v1 did) and reports them in command_results on
// the next heartbeat, resending until the hub acknowledges them.
type v1Agent struct {
	t       *testing.T
	hubURL  string
	results []map[string]any
	running map[string]bool
}

func (v *v1Agent) beat() homelabcmd.HeartbeatResponse {
	v.t.Helper()
	var services []map[string]any
	for name, up := range v.running {
		st := "stopped"
		if up {
			st = "running"
		}
		services = append(services, map[string]any{"name": name, "status": st})
	}
	body := map[string]any{"server_id": "v1-nas", "hostname": "v1-nas", "timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.999999"),
		"agent_version": "1.0.0", "services": services}
	if len(v.results) > 0 {
		body["command_results"] = v.results
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", v.hubURL+"/api/v1/agents/heartbeat", bytes.NewReader(b))
	req.Header.Set("X-API-Key", testAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out homelabcmd.HeartbeatResponse
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		v.t.Fatalf("heartbeat: %d", resp.StatusCode)
	}
	// Drop what the hub acknowledged; run what it handed out.
	v.results = slices.DeleteFunc(v.results, func(r map[string]any) bool {
		return slices.Contains(out.ResultsAcknowledged, r["action_id"].(int64))
	})
	for _, c := range out.PendingCommands {
		exit := 1
		if c.ActionType == "restart_service" && c.Command == "systemctl restart "+c.Parameters["service_name"] {
			v.running[c.Parameters["service_name"]], exit = true, 0
		}
		v.results = append(v.results, map[string]any{"action_id": c.ActionID, "exit_code": exit, "stdout": "", "stderr": "",
			"executed_at": time.Now().UTC().Format(time.RFC3339Nano), "completed_at": time.Now().UTC().Format(time.RFC3339Nano)})
	}
	return out
}

// The original v1 agent restarts a service through our hub: the restart is
// handed to it, its command_results are acknowledged and finish the
// action, and the unit reporting running verifies it. Before this, such
// restarts always ended "failed: timeout" and the agent resent forever.
func TestOriginalV1AgentRestart(t *testing.T) {
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	v := &v1Agent{t: t, hubURL: h.URL, running: map[string]bool{"plex": false}}
	v.beat()
	var created homelabcmd.Action
	if code := api(t, "POST", h.URL+"/api/v1/actions", `{"server_id":"v1-nas","action_type":"restart_service","service_name":"plex"}`, &created); code != 201 {
		t.Fatalf("POST /actions: %d", code)
	}
	if r := v.beat(); len(r.PendingCommands) != 1 || r.PendingCommands[0].ActionID != created.ID {
		t.Fatalf("v1 agent not handed the restart: %+v", r)
	}
	if r := v.beat(); fmt.Sprint(r.ResultsAcknowledged) != fmt.Sprintf("[%d]", created.ID) || len(v.results) != 0 {
		t.Fatalf("results_acknowledged %v, still to resend %v", r.ResultsAcknowledged, v.results)
	}
	v.beat() // plex reports running after the restart finished
	var a homelabcmd.Action
	api(t, "GET", fmt.Sprintf("%s/api/v1/actions/%d", h.URL, created.ID), "", &a)
	if a.Status != homelabcmd.ActionCompleted || a.ExitCode == nil || *a.ExitCode != 0 || a.Verified == nil || !*a.Verified {
		t.Fatalf("action after the v1 flow: %+v", a)
	}
}

// Applying package updates end to end, with the real hub and agent and
// real apt and dpkg working on a throwaway package world (apttest; the
// agent's apt_config points at it, so this machine's packages are never
// touched): the agent declares "updates" and reports the pending security
// update; an operator creates and approves apply_updates; the agent runs
// apt-get; the action completes with apt's output and reboot_required;
// the next report shows nothing pending.
func TestApplyUpdatesEndToEnd(t *testing.T) {
	root := apttest.New(t)
	_, bus := fakesystemd.New(t)
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	StartAgent(t, fmt.Sprintf("hub_url: %s\nserver_id: e2e-nas\napi_key: %s\nheartbeat_interval: 5\nsystemd_bus_address: %q\noutbox_dir: %s\n"+
		"mode: readwrite\npackage_updates: true\npackage_check_delay: 0\napt_config: %s\n",
		h.URL, testAPIKey, bus, filepath.Join(t.TempDir(), "outbox"), root.Config), "-v")

	type pending struct {
		Total    int                  `json:"total_count"`
		Security int                  `json:"security_count"`
		Packages []homelabcmd.Package `json:"packages"`
	}
	waitPackages := func(what string, cond func(pending) bool) pending {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second) // only against a hang
		for {
			var p pending
			api(t, "GET", h.URL+"/api/v1/servers/e2e-nas/packages", "", &p)
			if cond(p) {
				return p
			}
			if time.Now().After(deadline) {
				t.Fatalf("packages: not %s: %+v", what, p)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	p := waitPackages("the fixture's update", func(p pending) bool { return p.Total == 1 })
	if p.Security != 1 || p.Packages[0].Name != apttest.Package || p.Packages[0].CurrentVersion != apttest.OldVersion || p.Packages[0].NewVersion != apttest.NewVersion {
		t.Fatalf("pending packages %+v", p)
	}
	var srv homelabcmd.Server
	api(t, "GET", h.URL+"/api/v1/servers/e2e-nas", "", &srv)
	if !slices.Contains(srv.Capabilities, homelabcmd.CapUpdates) {
		t.Fatalf("capabilities %v", srv.Capabilities)
	}

	var created homelabcmd.Action
	if code := api(t, "POST", h.URL+"/api/v1/actions", `{"server_id":"e2e-nas","action_type":"apply_updates"}`, &created); code != 201 || created.Status != homelabcmd.ActionPending {
		t.Fatalf("POST /actions: %d %+v", code, created)
	}
	if code := api(t, "POST", fmt.Sprintf("%s/api/v1/actions/%d/approve", h.URL, created.ID), "", nil); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	env := &restartEnv{hub: h}
	a := env.waitAction(t, created.ID, 120*time.Second, "finished", func(a homelabcmd.Action) bool {
		return a.Status == homelabcmd.ActionCompleted || a.Status == homelabcmd.ActionFailed
	})
	if a.Status != homelabcmd.ActionCompleted || a.ExitCode == nil || *a.ExitCode != 0 || a.Stdout == nil ||
		!strings.Contains(*a.Stdout, "Setting up hello-fixture (2.0-1)") || a.RebootRequired == nil || *a.RebootRequired != hostNeedsReboot() {
		b, _ := json.Marshal(a)
		t.Fatalf("apply_updates action: %s", b)
	}
	if v := root.Installed(); v != apttest.NewVersion {
		t.Fatalf("installed version %q", v)
	}
	waitPackages("empty after the update", func(p pending) bool { return p.Total == 0 })
	t.Logf("apply_updates took %d ms (agent side)", *a.DurationMS)
}

// hostNeedsReboot: the agent reads Debian's reboot flag from its usual place.
func hostNeedsReboot() bool {
	_, err := os.Stat("/var/run/reboot-required")
	return err == nil
}

// Where PackageKit runs, the real agent lists updates through it over
// D-Bus (here a fake PackageKit on a private bus, given to the agent as
// its system bus) and the hub shows them: no apt-get runs for the list.
func TestAgentListsUpdatesThroughPackageKit(t *testing.T) {
	_, pkBus := fakepackagekit.New(t,
		fakepackagekit.Package{Name: "openssl", Arch: "amd64", Installed: "3.0.13-1", Update: "3.0.14-1", Repo: "debian-security", Info: packagekit.InfoSecurity},
		fakepackagekit.Package{Name: "curl", Arch: "amd64", Installed: "7.88.1-10", Update: "7.88.1-11", Repo: "debian"})
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("the agent looks for a package manager first (apt-get missing)")
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", pkBus) // the agent's system bus
	_, bus := fakesystemd.New(t)
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	a := StartAgent(t, fmt.Sprintf("hub_url: %s\nserver_id: e2e-nas\napi_key: %s\nheartbeat_interval: 5\nsystemd_bus_address: %q\noutbox_dir: %s\n"+
		"package_updates: true\npackage_check_delay: 0\n", h.URL, testAPIKey, bus, filepath.Join(t.TempDir(), "outbox")), "-v")
	var p struct {
		Total    int                  `json:"total_count"`
		Security int                  `json:"security_count"`
		Packages []homelabcmd.Package `json:"packages"`
	}
	deadline := time.Now().Add(60 * time.Second) // only against a hang
	for api(t, "GET", h.URL+"/api/v1/servers/e2e-nas/packages", "", &p); p.Total != 2; api(t, "GET", h.URL+"/api/v1/servers/e2e-nas/packages", "", &p) {
		if time.Now().After(deadline) {
			t.Fatalf("packages %+v", p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p.Security != 1 || !strings.Contains(a.Output(), "listing package updates through PackageKit") {
		t.Fatalf("packages %+v", p)
	}
	for _, pkg := range p.Packages {
		if pkg.Name == "openssl" && (pkg.CurrentVersion != "3.0.13-1" || pkg.NewVersion != "3.0.14-1" || !pkg.IsSecurity) {
			t.Fatalf("openssl %+v", pkg)
		}
	}
}
