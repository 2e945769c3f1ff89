package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// HubUsage is one hub process's CPU and memory over the run, sampled from
// /proc once a second.
type HubUsage struct {
	PID       int
	CPU       float64 // percent of one core, averaged over the run
	PeakRSS   int64   // bytes
	MeanRSS   int64   // bytes
	Samples   int
	SampleErr string
}

func (u HubUsage) String() string {
	if u.SampleErr != "" {
		return fmt.Sprintf("hub pid %d: %s", u.PID, u.SampleErr)
	}
	return fmt.Sprintf("hub pid %d: CPU %.1f %% of a core, RSS peak %.1f MB, mean %.1f MB (%d samples)",
		u.PID, u.CPU, float64(u.PeakRSS)/1e6, float64(u.MeanRSS)/1e6, u.Samples)
}

// sampleHub watches pid until ctx ends and returns its usage.
func sampleHub(ctx context.Context, pid int) HubUsage {
	u := HubUsage{PID: pid}
	t0, start := time.Now(), int64(0)
	ticks, err := procTicks(pid)
	if err != nil {
		u.SampleErr = err.Error()
		return u
	}
	start = ticks
	var sum int64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if rss, err := procRSS(pid); err == nil {
			u.Samples++
			sum += rss
			u.PeakRSS = max(u.PeakRSS, rss)
		}
		if t, err := procTicks(pid); err == nil {
			ticks = t
		}
		select {
		case <-ctx.Done():
			if u.Samples > 0 {
				u.MeanRSS = sum / int64(u.Samples)
			}
			u.CPU = float64(ticks-start) / clockTicks / time.Since(t0).Seconds() * 100
			return u
		case <-tick.C:
		}
	}
}

// procTicks is utime+stime of pid in clock ticks.
func procTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return ut + st, nil
}

// procRSS is VmRSS of pid in bytes.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "12345 kB"
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// loadAvg is the 1-minute load average, "" when unreadable.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
