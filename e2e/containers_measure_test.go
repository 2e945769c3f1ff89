package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	engine "github.com/homelabcmd/homelabcmd/agent/docker"
)

// TestMeasureContainerCollection times the container collector against a
// real dockerd with N running containers: a change heartbeat's collection
// (list + inspect each), a full one (also a one-shot stats call per
// running container), and one stats call alone. A measurement: it asserts
// nothing about time.
func TestMeasureContainerCollection(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HOMELAB_MEASURE_CONTAINERS"))
	if n <= 0 {
		t.Skip("set HOMELAB_MEASURE_CONTAINERS=<n> (and HOMELAB_TEST_DOCKER=1) to measure")
	}
	prefix := fmt.Sprintf("hlcmeasure%d", time.Now().UnixNano()%1e9)
	image := busyboxImage(t, prefix)
	for i := range n {
		if out, err := docker(t, "run", "-d", "--network", "none", "--name", fmt.Sprintf("%s-c%02d", prefix, i), image, "sleep", "86400"); err != nil {
			t.Fatalf("docker run: %v %s", err, out)
		}
	}
	c, err := engine.NewClient("")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := engine.NewCollector(c, slog.Default())
	// cpu is this process's CPU time (user + system) so far.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	timeIt := func(runs int, fn func()) (p50, max time.Duration) {
		var d []time.Duration
		c0 := cpu()
		for range runs {
			start := time.Now()
			fn()
			d = append(d, time.Since(start))
		}
		t.Logf("  CPU of this process per run: %v", (cpu()-c0)/time.Duration(runs))
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2], d[len(d)-1]
	}
	list, _ := c.List(ctx)
	k.Collect(ctx, true) // warm up
	p50, mx := timeIt(20, func() { k.Collect(ctx, false) })
	t.Logf("change collection (list + %d inspects): p50 %v, max %v", len(list), p50, mx)
	p50, mx = timeIt(10, func() { k.Collect(ctx, true) })
	t.Logf("full collection (+ one-shot stats per running container): p50 %v, max %v", p50, mx)
	id := list[0].ID
	p50, mx = timeIt(40, func() { c.ContainerStats(ctx, id) })
	t.Logf("one one-shot stats call: p50 %v, max %v", p50, mx)
}
