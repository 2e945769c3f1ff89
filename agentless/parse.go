package agentless

import (
	"strconv"
	"strings"
)

// The scan scripts: fixed text, no operator input, run by the remote login
// shell. Each section starts with a @@name marker line; a missing tool
// only empties its section.
const (
	quickScan = `echo @@os; cat /etc/os-release 2>/dev/null; ` +
		`echo @@kernel; uname -srm; ` +
		`echo @@hostname; hostname; ` +
		`echo @@uptime; cat /proc/uptime; ` +
		`echo @@cpu; nproc; grep -m1 '^model name' /proc/cpuinfo; ` +
		`echo @@load; cat /proc/loadavg; ` +
		`echo @@mem; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo; ` +
		`echo @@disk; df -PkT -x tmpfs -x devtmpfs -x overlay -x squashfs 2>/dev/null; `
	fullScan = `echo @@listen; ss -Htln 2>/dev/null; ` +
		`echo @@units; systemctl list-units --type=service --state=running --no-legend --no-pager --plain 2>/dev/null; ` +
		`echo @@upgradable; apt list --upgradable 2>/dev/null; `
)

// ScanResult is what a scan found.
type ScanResult struct {
	Hostname      string        `json:"hostname"`
	OS            ScanOS        `json:"os"`
	Kernel        string        `json:"kernel"`
	Architecture  string        `json:"architecture"`
	UptimeSeconds int64         `json:"uptime_seconds"`
	CPU           ScanCPU       `json:"cpu"`
	LoadAverage   []float64     `json:"load_average"`
	Memory        ScanMemory    `json:"memory"`
	Disks         []ScanDisk    `json:"disks"`
	Listening     []ScanListen  `json:"listening,omitempty"`
	Services      []string      `json:"services,omitempty"`
	Upgradable    []ScanPackage `json:"upgradable_packages,omitempty"`
	Upgrades      *int          `json:"upgradable_count,omitempty"`
}

// ScanOS is /etc/os-release's gist.
type ScanOS struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	ID         string `json:"id"`
	PrettyName string `json:"pretty_name"`
}

// ScanCPU is the processor.
type ScanCPU struct {
	Model string `json:"model"`
	Cores int    `json:"cores"`
}

// ScanMemory is RAM in MiB.
type ScanMemory struct {
	TotalMB     int64   `json:"total_mb"`
	AvailableMB int64   `json:"available_mb"`
	UsedPercent float64 `json:"used_percent"`
}

// ScanDisk is one mounted filesystem.
type ScanDisk struct {
	Device      string  `json:"device"`
	FSType      string  `json:"fstype"`
	Mount       string  `json:"mount"`
	TotalGB     float64 `json:"total_gb"`
	UsedGB      float64 `json:"used_gb"`
	UsedPercent float64 `json:"used_percent"`
}

// ScanListen is a listening TCP socket.
type ScanListen struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
}

// ScanPackage is an upgradable package.
type ScanPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ParseScan reads the scripts' output; unknown or garbled lines are skipped.
func ParseScan(out string) *ScanResult {
	r := &ScanResult{Disks: []ScanDisk{}, LoadAverage: []float64{}}
	sections := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "@@"); ok && !strings.ContainsAny(name, " \t") {
			cur = name
			sections[cur] = []string{}
			continue
		}
		if cur != "" && strings.TrimSpace(line) != "" {
			sections[cur] = append(sections[cur], line)
		}
	}
	for _, l := range sections["os"] {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "NAME":
			r.OS.Name = v
		case "VERSION_ID":
			r.OS.Version = v
		case "ID":
			r.OS.ID = v
		case "PRETTY_NAME":
			r.OS.PrettyName = v
		}
	}
	if l := sections["kernel"]; len(l) > 0 {
		if f := strings.Fields(l[0]); len(f) == 3 {
			r.Kernel, r.Architecture = f[1], f[2]
		}
	}
	if l := sections["hostname"]; len(l) > 0 {
		r.Hostname = strings.TrimSpace(l[0])
	}
	if l := sections["uptime"]; len(l) > 0 {
		if f := strings.Fields(l[0]); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				r.UptimeSeconds = int64(v)
			}
		}
	}
	for i, l := range sections["cpu"] {
		if i == 0 {
			r.CPU.Cores, _ = strconv.Atoi(strings.TrimSpace(l))
		} else if _, v, ok := strings.Cut(l, ":"); ok {
			r.CPU.Model = strings.TrimSpace(v)
		}
	}
	if l := sections["load"]; len(l) > 0 {
		for _, f := range strings.Fields(l[0])[:min(3, len(strings.Fields(l[0])))] {
			if v, err := strconv.ParseFloat(f, 64); err == nil {
				r.LoadAverage = append(r.LoadAverage, v)
			}
		}
	}
	for _, l := range sections["mem"] {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "MemTotal:":
			r.Memory.TotalMB = kb / 1024
		case "MemAvailable:":
			r.Memory.AvailableMB = kb / 1024
		}
	}
	if r.Memory.TotalMB > 0 {
		r.Memory.UsedPercent = round1(100 * float64(r.Memory.TotalMB-r.Memory.AvailableMB) / float64(r.Memory.TotalMB))
	}
	for _, l := range sections["disk"] {
		f := strings.Fields(l) // Filesystem Type 1024-blocks Used Available Capacity Mounted-on
		if len(f) < 7 || f[0] == "Filesystem" {
			continue
		}
		total, err1 := strconv.ParseFloat(f[2], 64)
		used, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil || total == 0 {
			continue
		}
		r.Disks = append(r.Disks, ScanDisk{Device: f[0], FSType: f[1], Mount: strings.Join(f[6:], " "),
			TotalGB: round1(total / 1024 / 1024), UsedGB: round1(used / 1024 / 1024), UsedPercent: round1(100 * used / total)})
	}
	seen := map[string]bool{}
	for _, l := range sections["listen"] {
		f := strings.Fields(l) // State Recv-Q Send-Q Local:Port Peer:Port
		if len(f) < 4 {
			continue
		}
		i := strings.LastIndex(f[3], ":")
		if i < 0 {
			continue
		}
		port, err := strconv.Atoi(f[3][i+1:])
		if err != nil || seen[f[3]] {
			continue
		}
		seen[f[3]] = true
		r.Listening = append(r.Listening, ScanListen{Address: strings.Trim(f[3][:i], "[]"), Port: port})
	}
	for _, l := range sections["units"] {
		if f := strings.Fields(l); len(f) > 0 && strings.HasSuffix(f[0], ".service") {
			r.Services = append(r.Services, strings.TrimSuffix(f[0], ".service"))
		}
	}
	if l, ok := sections["upgradable"]; ok {
		for _, line := range l {
			// name/suite version arch [upgradable from: x]
			name, rest, ok := strings.Cut(line, "/")
			if !ok || strings.HasPrefix(line, "Listing") {
				continue
			}
			f := strings.Fields(rest)
			p := ScanPackage{Name: name}
			if len(f) > 1 {
				p.Version = f[1]
			}
			r.Upgradable = append(r.Upgradable, p)
		}
		n := len(r.Upgradable)
		r.Upgrades = &n
	}
	return r
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func trimLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
