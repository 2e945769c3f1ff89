package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

// TestMeasureCheckResources runs an agent with 50 checks at a 60 s interval
// (20 http, 10 tcp, 10 tls, 10 ping, all to loopback) for the given
// duration and samples its RSS and CPU time from /proc. A measurement, not
// a test:
//
//	HOMELAB_MEASURE_CHECKS=10m go test -run TestMeasureCheckResources -v -timeout 20m ./e2e
//
// HOMELAB_MEASURE_CHECK_COUNT=0 measures the same agent without checks.
func TestMeasureCheckResources(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("HOMELAB_MEASURE_CHECKS"))
	if err != nil || d <= 0 {
		t.Skip("set HOMELAB_MEASURE_CHECKS=<duration> (e.g. 10m) to measure")
	}
	count := 50
	if v, err := strconv.Atoi(os.Getenv("HOMELAB_MEASURE_CHECK_COUNT")); err == nil {
		count = v
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"ok":true}`) }))
	t.Cleanup(web.Close)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close() })
	go func() {
		for {
			c, err := tcp.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	h := StartHub(t, t.TempDir(), []string{"HOMELAB_CMD_LOCAL_AGENT=false", "HOMELAB_CMD_API_KEY=" + testAPIKey})
	api(t, "POST", h.URL+"/api/v1/servers", `{"id":"e2e-m","hostname":"e2e-m"}`, nil)
	for i := range count {
		var body string
		switch {
		case i < 20:
			body = fmt.Sprintf(`"type":"http","target":"%s/h%d","json_path":"ok","json_value":"true"`, web.URL, i)
		case i < 30:
			body = fmt.Sprintf(`"type":"tcp","target":"%s"`, tcp.Addr())
		case i < 40:
			body = fmt.Sprintf(`"type":"tls","target":"%s","skip_tls_verify":true`, tlsSrv.Listener.Addr())
		default:
			body = `"type":"ping","target":"127.0.0.1"`
		}
		if code := api(t, "POST", h.URL+"/api/v1/checks", fmt.Sprintf(`{"name":"m%02d",%s,"server_ids":["e2e-m"]}`, i, body), nil); code != 201 {
			t.Fatalf("create check %d: %d", i, code)
		}
	}
	_, bus := fakesystemd.New(t)
	cmdline := []string{binary, "agent"}
	if os.Getenv("HOMELAB_MEASURE_SLIM") != "" {
		slim := filepath.Join(t.TempDir(), "homelabcmd-agent")
		if out, err := exec.Command("go", "build", "-o", slim, "../cmd/homelabcmd-agent").CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		cmdline = []string{slim}
	}
	a := startAgentCmd(t, cmdline, fmt.Sprintf("hub_url: %s\nserver_id: e2e-m\napi_key: %s\nheartbeat_interval: 60\nsystemd_bus_address: %q\noutbox_dir: %s\n",
		h.URL, testAPIKey, bus, filepath.Join(t.TempDir(), "outbox")))
	pid := a.cmd.Process.Pid
	time.Sleep(15 * time.Second) // past start-up and the first round of checks
	cpu0, wall0 := cpuTicks(t, pid), time.Now()
	var rss []int
	for time.Since(wall0) < d {
		rss = append(rss, statusKB(t, pid, "VmRSS"))
		time.Sleep(10 * time.Second)
	}
	cpu1, wall := cpuTicks(t, pid), time.Since(wall0)
	hwm := statusKB(t, pid, "VmHWM")
	sort.Ints(rss)
	var results struct {
		Total int `json:"total"`
	}
	api(t, "GET", h.URL+"/api/v1/checks/1/history?hours=1", "", &results)
	cpuSec := float64(cpu1-cpu0) / 100
	t.Logf("%s over %v (%d checks, 60 s interval): CPU %.2f s = %.4f %% of one core; RSS min %d KB, median %d KB, max %d KB; peak (VmHWM) %d KB; check 1 results stored %d",
		strings.Join(cmdline, " "), wall.Round(time.Second), count, cpuSec, cpuSec/wall.Seconds()*100, rss[0], rss[len(rss)/2], rss[len(rss)-1], hwm, results.Total)
}
