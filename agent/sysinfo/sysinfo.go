// Package sysinfo collects host metrics for the agent's heartbeat through
// gopsutil: CPU, memory, disk, network, load, uptime, filesystems, network
// interfaces and OS/CPU descriptions. gopsutil honours HOST_PROC, HOST_SYS
// and HOST_ETC to read another root (a container watching its host).
package sysinfo

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/homelabcmd/homelabcmd"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
)

// Collector reads the host. A failed reading leaves its fields nil rather
// than failing the heartbeat. Safe for concurrent use.
type Collector struct {
	// EtcRoot is where os-release is read from ("/etc" unless HOST_ETC is set).
	EtcRoot string

	mu      sync.Mutex
	lastCPU *cpu.TimesStat

	staticOnce sync.Once
	osInfo     *homelabcmd.OSInfo
	cpuInfo    *homelabcmd.CPUInfo
}

// New returns a collector for this host.
func New() *Collector {
	etc := "/etc"
	if v := os.Getenv("HOST_ETC"); v != "" {
		etc = v
	}
	return &Collector{EtcRoot: etc}
}

// Metrics returns the contract's metrics. cpu_percent is the busy share of
// all cores since the previous call (nil on the first call).
func (c *Collector) Metrics(ctx context.Context) *homelabcmd.Metrics {
	m := &homelabcmd.Metrics{}
	if t, err := cpu.TimesWithContext(ctx, false); err == nil && len(t) == 1 {
		c.mu.Lock()
		if c.lastCPU != nil {
			m.CPUPercent = busyPercent(*c.lastCPU, t[0])
		}
		c.lastCPU = &t[0]
		c.mu.Unlock()
	}
	if v, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		m.MemoryPercent = f(round(v.UsedPercent, 1))
		m.MemoryTotalMB = i(int64(v.Total >> 20))
		m.MemoryUsedMB = i(int64(v.Used >> 20))
	}
	if d, err := disk.UsageWithContext(ctx, "/"); err == nil && d.Total > 0 {
		m.DiskPercent = f(round(d.UsedPercent, 1))
		m.DiskTotalGB = f(round(float64(d.Total)/(1<<30), 2))
		m.DiskUsedGB = f(round(float64(d.Used)/(1<<30), 2))
	}
	if n, err := net.IOCountersWithContext(ctx, false); err == nil && len(n) == 1 {
		m.NetworkRxBytes = i(int64(n[0].BytesRecv))
		m.NetworkTxBytes = i(int64(n[0].BytesSent))
	}
	if l, err := load.AvgWithContext(ctx); err == nil {
		m.Load1m, m.Load5m, m.Load15m = f(round(l.Load1, 2)), f(round(l.Load5, 2)), f(round(l.Load15, 2))
	}
	if u, err := host.UptimeWithContext(ctx); err == nil {
		m.UptimeSeconds = i(int64(u))
	}
	return m
}

// busyPercent is the non-idle share of CPU time between two samples.
func busyPercent(a, b cpu.TimesStat) *float64 {
	idle := (b.Idle + b.Iowait) - (a.Idle + a.Iowait)
	total := total(b) - total(a)
	if total <= 0 {
		return nil
	}
	p := round(math.Min(100, math.Max(0, (total-idle)/total*100)), 1)
	return &p
}

func total(t cpu.TimesStat) float64 {
	// Guest time is already counted in User and Nice.
	return t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
}

// virtualFS are filesystem types that hold no user data.
var virtualFS = map[string]bool{
	"tmpfs": true, "devtmpfs": true, "squashfs": true, "overlay": true, "proc": true, "sysfs": true,
	"devpts": true, "cgroup": true, "cgroup2": true, "pstore": true, "securityfs": true, "debugfs": true,
	"tracefs": true, "configfs": true, "fusectl": true, "hugetlbfs": true, "mqueue": true,
	"binfmt_misc": true, "autofs": true, "efivarfs": true, "bpf": true, "nsfs": true, "ramfs": true,
}

// Filesystems lists real mounted filesystems, as the original agent did:
// no virtual types, nothing under /sys, /proc, /dev, /run or /snap, each
// device once.
func (c *Collector) Filesystems(ctx context.Context) []homelabcmd.Filesystem {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		return nil
	}
	var out []homelabcmd.Filesystem
	seen := map[string]bool{}
	for _, p := range parts {
		if !keepMount(p.Mountpoint, p.Fstype) || seen[p.Device] {
			continue
		}
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		seen[p.Device] = true
		out = append(out, homelabcmd.Filesystem{
			MountPoint: trunc(p.Mountpoint, 255), Device: trunc(p.Device, 255), FSType: trunc(p.Fstype, 50),
			TotalBytes: int64(u.Total), UsedBytes: int64(u.Used), AvailableBytes: int64(u.Free),
			Percent: round(math.Min(100, float64(u.Used)/float64(u.Total)*100), 1),
		})
	}
	return out
}

func keepMount(mount, fstype string) bool {
	if virtualFS[fstype] {
		return false
	}
	for _, p := range []string{"/sys", "/proc", "/dev", "/run", "/snap"} {
		if mount == p || strings.HasPrefix(mount, p+"/") {
			return false
		}
	}
	return true
}

// NetworkInterfaces lists the counters of every interface except loopback.
func (c *Collector) NetworkInterfaces(ctx context.Context) []homelabcmd.NetworkInterface {
	counters, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return nil
	}
	up := map[string]bool{}
	known := map[string]bool{}
	if ifs, err := net.InterfacesWithContext(ctx); err == nil {
		for _, i := range ifs {
			known[i.Name] = true
			for _, fl := range i.Flags {
				if fl == "up" {
					up[i.Name] = true
				}
			}
		}
	}
	var out []homelabcmd.NetworkInterface
	for _, n := range counters {
		if n.Name == "lo" {
			continue
		}
		out = append(out, homelabcmd.NetworkInterface{
			Name: trunc(n.Name, 64), RxBytes: int64(n.BytesRecv), TxBytes: int64(n.BytesSent),
			RxPackets: int64(n.PacketsRecv), TxPackets: int64(n.PacketsSent),
			IsUp: up[n.Name] || !known[n.Name], // unknown state counts as up, as before
		})
	}
	return out
}

// OSInfo reads NAME and VERSION_ID from os-release and the kernel's release
// and machine.
func (c *Collector) OSInfo(ctx context.Context) *homelabcmd.OSInfo {
	o := &homelabcmd.OSInfo{}
	rel := ParseOSRelease(readFirst(filepath.Join(c.EtcRoot, "os-release"), "/usr/lib/os-release"))
	if v := rel["NAME"]; v != "" {
		o.Distribution = s(trunc(v, 100))
	}
	if v := rel["VERSION_ID"]; v != "" {
		o.Version = s(trunc(v, 100))
	}
	if k, err := host.KernelVersionWithContext(ctx); err == nil && k != "" {
		o.Kernel = s(trunc(k, 100))
	}
	if a, err := host.KernelArch(); err == nil && a != "" {
		o.Architecture = s(trunc(a, 20))
	}
	return o
}

// CPUInfo returns the model name and the number of logical cores.
func (c *Collector) CPUInfo(ctx context.Context) *homelabcmd.CPUInfo {
	ci := &homelabcmd.CPUInfo{}
	if n, err := cpu.CountsWithContext(ctx, true); err == nil && n >= 1 && n <= 1024 {
		ci.CPUCores = &n
	}
	if info, err := cpu.InfoWithContext(ctx); err == nil && len(info) > 0 {
		if m := strings.TrimSpace(info[0].ModelName); m != "" {
			ci.CPUModel = s(trunc(m, 255))
		}
	}
	return ci
}

// ParseOSRelease parses os-release KEY=value lines, unquoting values.
func ParseOSRelease(text string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		out[k] = strings.Trim(v, `"'`)
	}
	return out
}

func readFirst(paths ...string) string {
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	return ""
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func trunc(v string, n int) string {
	if len(v) > n {
		return v[:n]
	}
	return v
}

func f(v float64) *float64 { return &v }
func i(v int64) *int64     { return &v }
func s(v string) *string   { return &v }
