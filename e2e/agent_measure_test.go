package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These are measurements, not tests: they run only when asked and report
// figures for docs/performance.md. They assert nothing about time.
//
//	HOMELAB_MEASURE_LATENCY=120 go test -run TestMeasureDetectionLatency -v ./e2e
//	HOMELAB_MEASURE_RESOURCES=10m go test -run TestMeasureAgentResources -v -timeout 20m ./e2e
//	HOMELAB_MEASURE_CONTAINERS=20 HOMELAB_TEST_DOCKER=1 HOMELAB_MEASURE_SLIM=1 HOMELAB_MEASURE_RESOURCES=10m go test -run TestMeasureAgentResources -v -timeout 20m ./e2e
//	HOMELAB_MEASURE_CONTAINERS=20 HOMELAB_TEST_DOCKER=1 go test -run TestMeasureContainerCollection -v ./e2e

// TestMeasureDetectionLatency changes a unit N times (stop, start, …) and
// measures each time until the hub's current status shows the new state.
func TestMeasureDetectionLatency(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HOMELAB_MEASURE_LATENCY"))
	if n <= 0 {
		t.Skip("set HOMELAB_MEASURE_LATENCY=<number of changes> to measure")
	}
	h, fake, _ := setupWatched(t, 60, "plex")
	var lat []time.Duration
	for i := range n {
		want := "stopped"
		if i%2 == 0 {
			fake.Stop("plex.service")
		} else {
			fake.Start("plex.service")
			want = "running"
		}
		start := time.Now()
		for currentStatus(t, h.URL, "e2e-nas", "plex") != want {
			if time.Since(start) > 30*time.Second {
				t.Fatalf("change %d not seen", i)
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
		time.Sleep(50 * time.Millisecond)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("detection latency over %d changes: min %v p50 %v p90 %v p99 %v max %v",
		len(lat), lat[0].Round(time.Millisecond/10), pct(0.5).Round(time.Millisecond/10), pct(0.9).Round(time.Millisecond/10),
		pct(0.99).Round(time.Millisecond/10), lat[len(lat)-1].Round(time.Millisecond/10))
}

// TestMeasureAgentResources runs an agent with 20 monitored units at a 60 s
// interval for the given duration and samples its RSS and CPU time from /proc.
func TestMeasureAgentResources(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("HOMELAB_MEASURE_RESOURCES"))
	if err != nil || d <= 0 {
		t.Skip("set HOMELAB_MEASURE_RESOURCES=<duration> (e.g. 10m) to measure")
	}
	units := make([]string, 20)
	for i := range units {
		units[i] = fmt.Sprintf("svc%02d", i)
	}
	cmdline := []string{binary, "agent"}
	if os.Getenv("HOMELAB_MEASURE_SLIM") != "" {
		slim := filepath.Join(t.TempDir(), "homelabcmd-agent")
		if out, err := exec.Command("go", "build", "-o", slim, "../cmd/homelabcmd-agent").CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		cmdline = []string{slim}
	}
	interval := 60
	if v, err := strconv.Atoi(os.Getenv("HOMELAB_MEASURE_INTERVAL")); err == nil {
		interval = v
	}
	// HOMELAB_MEASURE_CONTAINERS=N: N running containers for the agent's
	// container collector to watch (needs dockerd, HOMELAB_TEST_DOCKER=1).
	if n, _ := strconv.Atoi(os.Getenv("HOMELAB_MEASURE_CONTAINERS")); n > 0 {
		prefix := fmt.Sprintf("hlcmeasure%d", time.Now().UnixNano()%1e9)
		image := busyboxImage(t, prefix)
		for i := range n {
			if out, err := docker(t, "run", "-d", "--network", "none", "--name", fmt.Sprintf("%s-c%02d", prefix, i), image, "sleep", "86400"); err != nil {
				t.Fatalf("docker run: %v %s", err, out)
			}
		}
	}
	_, _, a := setupWatchedCmd(t, cmdline, interval, units...)
	pid := a.cmd.Process.Pid
	time.Sleep(5 * time.Second) // past start-up
	cpu0, wall0 := cpuTicks(t, pid), time.Now()
	var rss []int
	for time.Since(wall0) < d {
		rss = append(rss, statusKB(t, pid, "VmRSS"))
		time.Sleep(10 * time.Second)
	}
	cpu1, wall := cpuTicks(t, pid), time.Since(wall0)
	hwm := statusKB(t, pid, "VmHWM")
	t.Logf("at the end: RssAnon %d KB, RssFile %d KB", statusKB(t, pid, "RssAnon"), statusKB(t, pid, "RssFile"))
	sort.Ints(rss)
	// USER_HZ is 100 on Linux: /proc reports CPU time in 10 ms ticks.
	cpuSec := float64(cpu1-cpu0) / 100
	t.Logf("%s over %v (20 units, %d s interval): CPU %.2f s = %.4f %% of one core; RSS min %d KB, median %d KB, max %d KB; peak (VmHWM) %d KB; heartbeats sent %d",
		strings.Join(cmdline, " "), wall.Round(time.Second), interval, cpuSec, cpuSec/wall.Seconds()*100, rss[0], rss[len(rss)/2], rss[len(rss)-1], hwm,
		strings.Count(a.Output(), "heartbeat collected"))
}

func cpuTicks(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the ")" of the command name; utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

func statusKB(t *testing.T, pid int, key string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}
