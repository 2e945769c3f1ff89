package updates

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestParseAptSimulation(t *testing.T) {
	out := []byte(`Reading package lists...
The following packages will be upgraded:
  libssl3 openssl tzdata
Inst libssl3 [3.0.13-1~deb12u1] (3.0.14-1~deb12u1 Debian-Security:12/stable-security [amd64]) []
Inst openssl [3.0.13-1~deb12u1] (3.0.14-1~deb12u1 Debian:12.6/stable, Debian-Security:12/stable-security [amd64])
Inst tzdata [2024a-0+deb12u1] (2024b-0+deb12u1 Debian:12.6/stable-updates [all])
Inst linux-image-6.1.0-25-amd64 (6.1.106-3 Debian-Security:12/stable-security [amd64])
Conf openssl (3.0.14-1~deb12u1 Debian:12.6/stable [amd64])
`)
	got := ParseAptSimulation(out)
	want := []homelabcmd.Package{
		{Name: "libssl3", CurrentVersion: "3.0.13-1~deb12u1", NewVersion: "3.0.14-1~deb12u1", Repository: "Debian-Security:12/stable-security", IsSecurity: true},
		{Name: "openssl", CurrentVersion: "3.0.13-1~deb12u1", NewVersion: "3.0.14-1~deb12u1", Repository: "Debian:12.6/stable, Debian-Security:12/stable-security", IsSecurity: true},
		{Name: "tzdata", CurrentVersion: "2024a-0+deb12u1", NewVersion: "2024b-0+deb12u1", Repository: "Debian:12.6/stable-updates", IsSecurity: false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("parsed %+v", got)
	}
}

func TestParseDnf(t *testing.T) {
	check := []byte(`
openssl.x86_64                       1:3.1.1-4.fc39                updates
curl.x86_64                          8.2.1-5.fc39                  updates
kernel.x86_64                        6.8.9-100.fc39                updates
Obsoleting Packages
grub2-tools.x86_64                   1:2.06-121.fc39               updates
    grub2-tools.x86_64               1:2.06-100.fc39               @updates
`)
	sec := []byte(`FEDORA-2024-1a2b3c4d5e Important/Sec. openssl-1:3.1.1-4.fc39.x86_64
FEDORA-2024-ffeeddccbb Moderate/Sec.  kernel-6.8.9-100.fc39.x86_64
`)
	rpm := []byte("openssl 1:3.1.1-3.fc39\ncurl 0:8.2.1-4.fc39\n") // kernel: not installed under that name
	got := MergeDnf(ParseDnfCheckUpdate(check), ParseDnfSecurity(sec), ParseRPMQuery(rpm))
	want := []homelabcmd.Package{
		{Name: "openssl", CurrentVersion: "1:3.1.1-3.fc39", NewVersion: "1:3.1.1-4.fc39", Repository: "updates", IsSecurity: true},
		{Name: "curl", CurrentVersion: "8.2.1-4.fc39", NewVersion: "8.2.1-5.fc39", Repository: "updates", IsSecurity: false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("merged %+v", got)
	}
}

// aptRoot makes a throwaway apt environment: a dpkg status with three
// installed packages and two flat file repositories (one labelled
// security), and runs the real apt-get update over them. The machine's own
// package state is never read or written.
func aptRoot(t *testing.T) *Apt {
	bin, err := exec.LookPath("apt-get")
	if err != nil {
		t.Skip("apt-get not installed")
	}
	dir := t.TempDir()
	for _, d := range []string{"lists/partial", "cache/archives/partial", "empty", "repo", "sec", "log"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	installed := func(name, ver string) string {
		return "Package: " + name + "\nStatus: install ok installed\nPriority: optional\nSection: misc\nMaintainer: T <t@example.invalid>\nArchitecture: all\nVersion: " + ver + "\nDescription: fixture\n\n"
	}
	avail := func(name, ver string) string {
		return "Package: " + name + "\nVersion: " + ver + "\nArchitecture: all\nMaintainer: T <t@example.invalid>\nFilename: ./" + name + ".deb\nSize: 10\nDescription: fixture\n\n"
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("status", installed("hello-fixture", "1.0-1")+installed("ssl-fixture", "3.0-1")+installed("same-fixture", "5.0"))
	write("repo/Packages", avail("hello-fixture", "2.0-1")+avail("same-fixture", "5.0")+avail("new-fixture", "1.0"))
	write("sec/Packages", avail("ssl-fixture", "3.0-2"))
	write("repo/Release", "Origin: Fixture\nLabel: Fixture\nSuite: stable\nCodename: fix\n")
	write("sec/Release", "Origin: Fixture\nLabel: Fixture-Security\nSuite: stable-security\nCodename: fix-security\n")
	write("sources.list", "deb [trusted=yes] file:"+dir+"/repo ./\ndeb [trusted=yes] file:"+dir+"/sec ./\n")
	me := "root"
	if u, err := user.Current(); err == nil {
		me = u.Username
	}
	// APT_CONFIG: none of the machine's apt configuration (its hooks) applies.
	write("apt.conf", "Dir::Etc::Parts \""+dir+"/empty\";\nDir::Etc::Main \"/dev/null\";\n")
	a := &Apt{Bin: bin, Env: []string{"APT_CONFIG=" + dir + "/apt.conf"}, StampFiles: []string{filepath.Join(dir, "status"), filepath.Join(dir, "lists")}, Options: []string{
		"-o", "Dir::State=" + dir, "-o", "Dir::State::status=" + dir + "/status", "-o", "Dir::State::Lists=" + dir + "/lists",
		"-o", "Dir::Cache=" + dir + "/cache", "-o", "Dir::Etc::SourceList=" + dir + "/sources.list", "-o", "Dir::Etc::SourceParts=" + dir + "/empty",
		"-o", "Dir::Etc::Preferences=/dev/null", "-o", "Dir::Etc::PreferencesParts=" + dir + "/empty", "-o", "Dir::Log=" + dir + "/log",
		"-o", "APT::Sandbox::User=" + me,
	}}
	if _, _, err := run(t.Context(), nil, a.Env, bin, append(append([]string{}, a.Options...), "-q", "-o", "Debug::NoLocking=1", "update")...); err != nil {
		t.Fatal(err)
	}
	return a
}

// The real apt-get in a throwaway root: the two upgradable packages, the
// security one flagged, the up-to-date and the not-installed ones left out.
func TestAptReal(t *testing.T) {
	a := aptRoot(t)
	list, cpu, err := a.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []homelabcmd.Package{
		{Name: "hello-fixture", CurrentVersion: "1.0-1", NewVersion: "2.0-1", Repository: "Fixture:stable", IsSecurity: false},
		{Name: "ssl-fixture", CurrentVersion: "3.0-1", NewVersion: "3.0-2", Repository: "Fixture-Security:stable-security", IsSecurity: true},
	}
	if !slices.Equal(list, want) {
		t.Fatalf("apt listed %+v", list)
	}
	if cpu <= 0 {
		t.Errorf("no CPU time measured")
	}
	t.Logf("apt-get -s dist-upgrade over the fixture: %v CPU", cpu)
}

type fakeSource struct {
	gate  chan struct{} // List waits for it: a check slower than a heartbeat
	runs  atomic.Int32
	list  []homelabcmd.Package
	stamp string
}

func (f *fakeSource) Name() string     { return "fake" }
func (f *fakeSource) Stamps() []string { return []string{f.stamp} }
func (f *fakeSource) List(context.Context) ([]homelabcmd.Package, time.Duration, error) {
	f.runs.Add(1)
	<-f.gate
	return slices.Clone(f.list), time.Millisecond, nil
}

// The check runs rarely (once per Every, and again when the database
// changes), never in the heartbeat's path; the list goes out when changed
// or hourly, the counts with every full heartbeat.
func TestCollectorRunsRarely(t *testing.T) {
	stamp := filepath.Join(t.TempDir(), "status")
	os.WriteFile(stamp, []byte("a"), 0o644)
	src := &fakeSource{gate: make(chan struct{}), stamp: stamp, list: []homelabcmd.Package{{Name: "a", CurrentVersion: "1", NewVersion: "2", Repository: "r", IsSecurity: true}}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Collector{Source: src, Every: time.Hour, Now: func() time.Time { return now }}
	var once sync.Once
	beat := func() *homelabcmd.Heartbeat {
		t.Helper()
		part, err := c.Collect(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		once.Do(func() { close(src.gate) }) // the first check ends after its heartbeat went
		c.Wait()
		hb := &homelabcmd.Heartbeat{}
		if part != nil {
			part(hb)
		}
		return hb
	}
	if hb := beat(); hb.Packages != nil || hb.UpdatesAvailable != nil {
		t.Fatal("the first heartbeat waited for the check")
	}
	hb := beat()
	if hb.Packages == nil || len(*hb.Packages) != 1 || *hb.UpdatesAvailable != 1 || *hb.SecurityUpdates != 1 {
		t.Fatalf("second heartbeat %+v", hb)
	}
	for range 5 {
		now = now.Add(time.Minute)
		if hb := beat(); hb.Packages != nil || *hb.UpdatesAvailable != 1 {
			t.Fatalf("unchanged list resent or counts missing: %+v", hb)
		}
	}
	if n := src.runs.Load(); n != 1 {
		t.Fatalf("%d checks within the hour, want 1", n)
	}
	// The package database changes: a recheck, and the new list goes out.
	src.list = nil
	later := time.Now().Add(time.Minute)
	os.Chtimes(stamp, later, later)
	// The check may end before or after the first heartbeat's part is made:
	// one of the two carries the new (empty) list, exactly once.
	h1, h2 := beat(), beat()
	sent := 0
	for _, hb := range []*homelabcmd.Heartbeat{h1, h2} {
		if hb.Packages != nil && len(*hb.Packages) == 0 {
			sent++
		}
	}
	if src.runs.Load() != 2 || sent != 1 || *h2.UpdatesAvailable != 0 {
		t.Fatalf("after the database changed: %d runs, list sent %d times, %+v", src.runs.Load(), sent, h2)
	}
	now = now.Add(2 * time.Hour)
	beat()
	if src.runs.Load() != 3 {
		t.Fatalf("no recheck after Every")
	}
	// A Delay holds the first check back.
	held := &fakeSource{gate: make(chan struct{}), stamp: stamp}
	close(held.gate)
	d := &Collector{Source: held, Delay: 2 * time.Minute, Now: func() time.Time { return now }}
	d.Collect(t.Context(), true)
	now = now.Add(time.Minute)
	d.Collect(t.Context(), true)
	d.Wait()
	if held.runs.Load() != 0 {
		t.Fatal("checked before the delay")
	}
	now = now.Add(time.Minute)
	d.Collect(t.Context(), true)
	d.Wait()
	if held.runs.Load() != 1 {
		t.Fatal("no check after the delay")
	}
	if part, _ := c.Collect(t.Context(), false); part != nil {
		t.Fatal("a change heartbeat carries packages")
	}
	c.Wait()
}
