package sysinfo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/shirou/gopsutil/v4/cpu"
)

func TestParseOSRelease(t *testing.T) {
	got := ParseOSRelease("# comment\nNAME=\"Debian GNU/Linux\"\nVERSION_ID='12'\nID=debian\nbroken line\n")
	if got["NAME"] != "Debian GNU/Linux" || got["VERSION_ID"] != "12" || got["ID"] != "debian" || len(got) != 3 {
		t.Fatalf("%v", got)
	}
}

func TestKeepMount(t *testing.T) {
	tests := []struct {
		name, mount, fstype string
		want                bool
	}{
		{"root ext4", "/", "ext4", true},
		{"data xfs", "/srv/data", "xfs", true},
		{"tmpfs", "/tmp", "tmpfs", false},
		{"overlay", "/", "overlay", false},
		{"under /run", "/run/media/usb", "vfat", false},
		{"snap", "/snap/core/1", "ext4", false},
		{"/proc itself", "/proc", "ext4", false},
		{"prefix is not a parent", "/procedures", "ext4", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keepMount(tt.mount, tt.fstype); got != tt.want {
				t.Fatalf("keepMount(%q,%q) = %v", tt.mount, tt.fstype, got)
			}
		})
	}
}

func TestBusyPercent(t *testing.T) {
	a := cpu.TimesStat{User: 10, System: 5, Idle: 80, Iowait: 5}
	b := cpu.TimesStat{User: 40, System: 15, Idle: 120, Iowait: 5}
	// 80 s passed, 40 s of it idle: 50 % busy.
	if p := busyPercent(a, b); p == nil || *p != 50 {
		t.Fatalf("busy %v", p)
	}
	if p := busyPercent(b, b); p != nil {
		t.Fatalf("no time passed but %v", *p)
	}
}

func TestOSInfoReadsOSRelease(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "os-release"), []byte("NAME=\"Raspbian GNU/Linux\"\nVERSION_ID=\"11\"\n"), 0o644)
	c := New()
	c.EtcRoot = dir
	o := c.OSInfo(context.Background())
	if o.Distribution == nil || *o.Distribution != "Raspbian GNU/Linux" || o.Version == nil || *o.Version != "11" {
		t.Fatalf("%+v", o)
	}
}

// Whatever this host has, what the collector reports must pass the hub's
// validation: ranges, lengths, no negative counters.
func TestCollectedValuesValidate(t *testing.T) {
	c := New()
	ctx := context.Background()
	c.Metrics(ctx)
	time.Sleep(50 * time.Millisecond)
	hb := homelabcmd.Heartbeat{ServerID: "x", Hostname: "x", Timestamp: homelabcmd.Time{Time: time.Now()},
		Metrics: c.Metrics(ctx), Filesystems: c.Filesystems(ctx), NetworkInterfaces: c.NetworkInterfaces(ctx),
		OSInfo: c.OSInfo(ctx), CPUInfo: c.CPUInfo(ctx)}
	if err := hb.Validate(); err != nil {
		t.Fatalf("collected heartbeat does not validate: %v", err)
	}
	for _, n := range hb.NetworkInterfaces {
		if n.Name == "lo" {
			t.Fatal("loopback reported")
		}
	}
}

// Only a full heartbeat carries filesystems and interfaces; the OS and
// CPU descriptions come every time.
func TestCollectFull(t *testing.T) {
	c := New()
	for _, full := range []bool{false, true} {
		part, err := c.Collect(context.Background(), full)
		if err != nil {
			t.Fatal(err)
		}
		var hb homelabcmd.Heartbeat
		part(&hb)
		if hb.Metrics == nil || hb.OSInfo == nil || hb.CPUInfo == nil {
			t.Fatalf("full=%v: %+v", full, hb)
		}
		if !full && (hb.Filesystems != nil || hb.NetworkInterfaces != nil) {
			t.Fatal("a heartbeat for a change carries filesystems or interfaces")
		}
	}
}
