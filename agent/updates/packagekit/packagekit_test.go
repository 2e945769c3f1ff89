package packagekit_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
	"github.com/homelabcmd/homelabcmd/agent/updates/packagekit"
	"github.com/homelabcmd/homelabcmd/agent/updates/packagekit/fakepackagekit"
)

func fixture() []fakepackagekit.Package {
	return []fakepackagekit.Package{
		{Name: "openssl", Arch: "amd64", Installed: "3.0.13-1~deb12u1", Update: "3.0.14-1~deb12u1", Repo: "debian-security", Info: packagekit.InfoSecurity},
		{Name: "curl", Arch: "amd64", Installed: "7.88.1-10", Update: "7.88.1-10+deb12u5", Repo: "debian"},
		{Name: "vim", Arch: "amd64", Installed: "9.0.1378-2"},        // up to date
		{Name: "linux-image-new", Arch: "amd64", Update: "6.1.99-1"}, // not installed: no update
	}
}

// The client reads GetUpdates' and Resolve's Package signals until
// Finished: name, installed and new version, source, and the security
// flag from the info enum.
func TestListThroughPackageKit(t *testing.T) {
	pk, addr := fakepackagekit.New(t, fixture()...)
	if !packagekit.Available(t.Context(), addr) {
		t.Fatal("PackageKit not seen on the bus")
	}
	s := &packagekit.Source{Address: addr}
	list, _, err := s.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []homelabcmd.Package{
		{Name: "curl", CurrentVersion: "7.88.1-10", NewVersion: "7.88.1-10+deb12u5", Repository: "debian"},
		{Name: "openssl", CurrentVersion: "3.0.13-1~deb12u1", NewVersion: "3.0.14-1~deb12u1", Repository: "debian-security", IsSecurity: true},
	}
	if fmt.Sprint(list) != fmt.Sprint(want) {
		t.Fatalf("list\n got %+v\nwant %+v", list, want)
	}
	if pk.Calls["GetUpdates"] != 1 || pk.Calls["Resolve"] != 1 {
		t.Fatalf("calls %v", pk.Calls)
	}
	// Nothing to update: one transaction, an empty (not nil) list.
	pk.Set(fixture()[2])
	if list, _, err := s.List(t.Context()); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("up to date: %v %v", list, err)
	}
	if pk.Calls["Resolve"] != 1 {
		t.Fatalf("Resolve called with nothing to resolve: %v", pk.Calls)
	}
	// A failed transaction is an error, not an empty list.
	pk.Fail = true
	if _, _, err := s.List(t.Context()); err == nil {
		t.Fatal("a failed transaction gave no error")
	}
}

// Without PackageKit on the bus the agent uses the package manager.
func TestAvailableWithoutPackageKit(t *testing.T) {
	bus, err := fakesystemd.StartBus(t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	defer bus.Close()
	if packagekit.Available(t.Context(), bus.Address) {
		t.Fatal("PackageKit seen on a bus without it")
	}
	if packagekit.Available(t.Context(), "unix:path=/nonexistent/bus") {
		t.Fatal("PackageKit seen without a bus")
	}
}

// BenchmarkListCPU measures the agent's own CPU per check through
// PackageKit (the daemon's work is not in it: the fake does none), to
// compare with apt-get's (BenchmarkAptListCPU in agent/updates).
func BenchmarkListCPU(b *testing.B) {
	var pkgs []fakepackagekit.Package
	for i := range 50 {
		pkgs = append(pkgs, fakepackagekit.Package{Name: fmt.Sprintf("pkg%02d", i), Arch: "amd64", Installed: "1.0-1", Update: "1.0-2", Repo: "debian"})
	}
	_, addr := fakepackagekit.New(b, pkgs...)
	s := &packagekit.Source{Address: addr}
	before := cpuTime()
	for b.Loop() {
		if list, _, err := s.List(b.Context()); err != nil || len(list) != 50 {
			b.Fatal(list, err)
		}
	}
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/check")
}

// cpuTime is this process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
