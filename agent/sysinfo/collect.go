package sysinfo

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
)

var _ collect.Collector = (*Collector)(nil)

// Name identifies the host collector in logs.
func (c *Collector) Name() string { return "host" }

// Collect reads metrics, the OS and CPU descriptions (read once, then
// repeated: they only change with a reboot) and, for a full heartbeat,
// filesystems and network interfaces. It never fails: a failed reading
// leaves its fields nil.
func (c *Collector) Collect(ctx context.Context, full bool) (collect.Part, error) {
	osInfo, cpuInfo := c.static(ctx)
	m := c.Metrics(ctx)
	var fs []homelabcmd.Filesystem
	var ifs []homelabcmd.NetworkInterface
	if full {
		fs, ifs = c.Filesystems(ctx), c.NetworkInterfaces(ctx)
	}
	return func(hb *homelabcmd.Heartbeat) {
		hb.OSInfo, hb.CPUInfo, hb.Metrics = osInfo, cpuInfo, m
		if full {
			hb.Filesystems, hb.NetworkInterfaces = fs, ifs
		}
	}, nil
}

// static returns the OS and CPU descriptions, reading them on first use.
func (c *Collector) static(ctx context.Context) (*homelabcmd.OSInfo, *homelabcmd.CPUInfo) {
	c.staticOnce.Do(func() { c.osInfo, c.cpuInfo = c.OSInfo(ctx), c.CPUInfo(ctx) })
	return c.osInfo, c.cpuInfo
}
