// Package fakepackagekit is a test double of PackageKit's D-Bus API on a
// private dbus-daemon (started by agent/systemd/fakesystemd.StartBus): it
// exports org.freedesktop.PackageKit with CreateTransaction, and
// transactions that answer SetHints, GetUpdates and Resolve with Package
// signals and Finished, emitted after the call returns, as packagekitd
// does.
package fakepackagekit

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
	"github.com/homelabcmd/homelabcmd/agent/updates/packagekit"
)

// Package is one package the fake knows: installed at Installed (""
// none) and upgradable to Update ("" none) with Info (packagekit.Info*;
// 0 means normal).
type Package struct {
	Name, Arch, Installed, Update, Repo string
	Info                                uint32
}

// PackageKit is the fake daemon.
type PackageKit struct {
	conn *dbus.Conn

	mu       sync.Mutex
	packages []Package
	next     int
	// Fail makes the next transactions end with ErrorCode and a failed
	// Finished.
	Fail bool
	// Calls counts the transaction methods called, by name.
	Calls map[string]int
}

// New starts a private bus and the fake on it for one test (skipped when
// dbus-daemon is missing) and returns it with the bus address.
func New(tb testing.TB, packages ...Package) (*PackageKit, string) {
	tb.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		tb.Skip("dbus-daemon not installed (Debian package dbus)")
	}
	bus, err := fakesystemd.StartBus(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bus.Close() })
	conn, err := dbus.Connect(bus.Address)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	pk := &PackageKit{conn: conn, packages: packages, Calls: map[string]int{}}
	if err := conn.Export(manager{pk}, packagekit.Path, packagekit.Interface); err != nil {
		tb.Fatal(err)
	}
	reply, err := conn.RequestName(packagekit.BusName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		tb.Fatalf("request %s: %v %v", packagekit.BusName, reply, err)
	}
	return pk, bus.Address
}

// Set replaces the fake's packages (after an upgrade, say).
func (pk *PackageKit) Set(packages ...Package) {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	pk.packages = packages
}

type manager struct{ pk *PackageKit }

// CreateTransaction exports a new transaction object.
func (m manager) CreateTransaction() (dbus.ObjectPath, *dbus.Error) {
	m.pk.mu.Lock()
	m.pk.next++
	path := dbus.ObjectPath(fmt.Sprintf("/%d_fake", m.pk.next))
	m.pk.mu.Unlock()
	if err := m.pk.conn.Export(&transaction{pk: m.pk, path: path}, path, packagekit.TransactionIf); err != nil {
		return "", dbus.MakeFailedError(err)
	}
	return path, nil
}

type transaction struct {
	pk   *PackageKit
	path dbus.ObjectPath
}

func (t *transaction) SetHints(hints []string) *dbus.Error { return nil }

// GetUpdates emits a Package for each upgradable package.
func (t *transaction) GetUpdates(filter uint64) *dbus.Error {
	t.run("GetUpdates", func(p Package) (uint32, string, bool) {
		info := p.Info
		if info == 0 {
			info = 5 // PK_INFO_ENUM_NORMAL
		}
		return info, p.Update, p.Update != "" && p.Installed != ""
	})
	return nil
}

// Resolve emits the installed version of each named package (filter
// installed).
func (t *transaction) Resolve(filter uint64, names []string) *dbus.Error {
	want := strings.Join(names, "\x00") + "\x00"
	t.run("Resolve", func(p Package) (uint32, string, bool) {
		return packagekit.InfoInstalled, p.Installed, p.Installed != "" && strings.Contains(want, p.Name+"\x00")
	})
	return nil
}

// run emits, after the method returned, a Package signal per package pick
// selects, then Finished; then the transaction goes away.
func (t *transaction) run(method string, pick func(Package) (info uint32, version string, ok bool)) {
	t.pk.mu.Lock()
	t.pk.Calls[method]++
	pkgs, fail := append([]Package(nil), t.pk.packages...), t.pk.Fail
	t.pk.mu.Unlock()
	go func() {
		emit := func(name string, args ...any) { t.pk.conn.Emit(t.path, packagekit.TransactionIf+"."+name, args...) }
		if fail {
			emit("ErrorCode", uint32(1), "fake failure")
			emit("Finished", uint32(2), uint32(1)) // PK_EXIT_ENUM_FAILED
		} else {
			for _, p := range pkgs {
				if info, v, ok := pick(p); ok {
					data := p.Repo
					if info == packagekit.InfoInstalled {
						data = "installed"
					}
					emit("Package", info, p.Name+";"+v+";"+p.Arch+";"+data, p.Name+" summary")
				}
			}
			emit("Finished", uint32(packagekit.ExitSuccess), uint32(3))
		}
		t.pk.conn.Export(nil, t.path, packagekit.TransactionIf)
	}()
}
