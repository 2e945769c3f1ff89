package agentless

import (
	"reflect"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

const scanFixture = `@@os
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
@@kernel
Linux 6.1.0-18-amd64 x86_64
@@hostname
nas
@@uptime
86400.55 170000.10
@@cpu
4
model name	: Intel(R) Celeron(R) N5105 @ 2.00GHz
@@load
0.50 0.40 0.30 1/200 1234
@@mem
MemTotal:        8000000 kB
MemAvailable:    6000000 kB
@@disk
Filesystem     Type 1024-blocks     Used Available Capacity Mounted on
/dev/sda1      ext4    10485760  5242880   5242880      50% /
/dev/sdb1      ext4    garbage
@@listen
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*
LISTEN 0      128             [::]:22           [::]:*
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*
@@units
ssh.service   loaded active running OpenBSD Secure Shell server
cron.service  loaded active running Regular background program processing daemon
@@upgradable
Listing...
openssl/stable-security 3.0.15-1~deb12u1 amd64 [upgradable from: 3.0.14-1~deb12u2]
`

func TestParseScan(t *testing.T) {
	r := ParseScan(scanFixture)
	n := 1
	want := &ScanResult{
		Hostname:      "nas",
		OS:            ScanOS{Name: "Debian GNU/Linux", Version: "12", ID: "debian", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		Kernel:        "6.1.0-18-amd64",
		Architecture:  "x86_64",
		UptimeSeconds: 86400,
		CPU:           ScanCPU{Model: "Intel(R) Celeron(R) N5105 @ 2.00GHz", Cores: 4},
		LoadAverage:   []float64{0.5, 0.4, 0.3},
		Memory:        ScanMemory{TotalMB: 7812, AvailableMB: 5859, UsedPercent: 25},
		Disks:         []ScanDisk{{Device: "/dev/sda1", FSType: "ext4", Mount: "/", TotalGB: 10, UsedGB: 5, UsedPercent: 50}},
		Listening:     []ScanListen{{Address: "0.0.0.0", Port: 22}, {Address: "::", Port: 22}},
		Services:      []string{"ssh", "cron"},
		Upgradable:    []ScanPackage{{Name: "openssl", Version: "3.0.15-1~deb12u1"}},
		Upgrades:      &n,
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got  %+v\nwant %+v", r, want)
	}
	// A quick scan has no package section: the count is unknown, not zero.
	if q := ParseScan("@@hostname\nx\n"); q.Upgrades != nil || q.Hostname != "x" {
		t.Fatalf("%+v", q)
	}
	if g := ParseScan("garbage\n@@\n@@kernel\nonly-two fields\n"); g.Kernel != "" {
		t.Fatalf("%+v", g)
	}
}

func TestParseSweepRange(t *testing.T) {
	tests := []struct {
		subnet  string
		confirm bool
		want    string // the range, or the field of the error
	}{
		{"192.168.1.0/24", false, "192.168.1.0/24"},
		{"192.168.1.77/24", false, "192.168.1.0/24"},
		{"10.0.0.0/22", false, "10.0.0.0/22"},
		{"10.0.0.0/21", false, "confirm"},
		{"10.0.0.0/21", true, "10.0.0.0/21"},
		{"10.0.0.0/16", true, "10.0.0.0/16"},
		{"10.0.0.0/15", true, "subnet"},
		{"fd00::/120", false, "subnet"},
		{"192.168.1.1", false, "subnet"},
		{"", false, "subnet"},
	}
	for _, tt := range tests {
		p, err := ParseSweepRange(tt.subnet, tt.confirm)
		var got string
		if err != nil {
			e, _ := err.(*homelabcmd.Error)
			got = e.Field
		} else {
			got = p.String()
		}
		if got != tt.want {
			t.Errorf("%q confirm=%v: %q, want %q (%v)", tt.subnet, tt.confirm, got, tt.want, err)
		}
	}
}

func TestParseUnits(t *testing.T) {
	out := "ssh.service loaded active running OpenBSD Secure Shell server\n" +
		"apt-daily.service loaded inactive dead Daily apt download activities\n" +
		"ghost.service not-found inactive dead ghost.service\n" +
		"cron.timer loaded active waiting x\n\n"
	got := ParseUnits(out)
	want := []DiscoveredService{{"ssh", "active", "running", "OpenBSD Secure Shell server"}, {"apt-daily", "inactive", "dead", "Daily apt download activities"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v", got)
	}
}
