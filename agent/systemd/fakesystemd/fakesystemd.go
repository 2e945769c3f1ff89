// Package fakesystemd is a test double of systemd's D-Bus API: it runs a
// private dbus-daemon and exports org.freedesktop.systemd1 on it with units
// that tests start, stop, fail, restart and remove. It implements what the
// agent (through go-systemd) uses: GetUnit, LoadUnit, ListUnits,
// ListUnitsByNames, Subscribe/Unsubscribe, Start/Stop/RestartUnit with
// JobRemoved, unit properties through org.freedesktop.DBus.Properties, and
// PropertiesChanged signals.
package fakesystemd

import (
	"fmt"
	"strings"
	"sync"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

const (
	busName     = "org.freedesktop.systemd1"
	managerPath = dbus.ObjectPath("/org/freedesktop/systemd1")
	managerIf   = "org.freedesktop.systemd1.Manager"
	unitPrefix  = "/org/freedesktop/systemd1/unit"
	unitIf      = "org.freedesktop.systemd1.Unit"
	serviceIf   = "org.freedesktop.systemd1.Service"
	propsIf     = "org.freedesktop.DBus.Properties"
)

// NotSet is systemd's value for an untracked 64-bit counter.
const NotSet = ^uint64(0)

// Unit is the state of one fake unit.
type Unit struct {
	Name          string
	LoadState     string
	ActiveState   string
	SubState      string
	MainPID       uint32
	MemoryCurrent uint64
	CPUUsageNSec  uint64
	NRestarts     uint32
}

// Systemd is the fake manager on one bus connection. Safe for concurrent use.
type Systemd struct {
	conn *dbus.Conn

	mu          sync.Mutex
	units       map[string]*Unit // by full name
	nextPID     uint32
	nextJob     uint32
	subscribers map[string]bool
	calls       map[string]int
	failStart   map[string]bool // units whose start jobs fail
}

// Serve connects to the bus at address, takes the name
// org.freedesktop.systemd1 and serves the fake manager until Close.
func Serve(address string) (*Systemd, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	s := &Systemd{conn: conn, units: map[string]*Unit{}, nextPID: 1000, subscribers: map[string]bool{}, calls: map[string]int{}, failStart: map[string]bool{}}
	if err := conn.Export(manager{s}, managerPath, managerIf); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.ExportSubtree(unitProps{s}, unitPrefix, propsIf); err != nil {
		conn.Close()
		return nil, err
	}
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("request name %s: reply %v, %v", busName, reply, err)
	}
	return s, nil
}

// Close leaves the bus.
func (s *Systemd) Close() error { return s.conn.Close() }

// Calls returns how often a manager method was called.
func (s *Systemd) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Subscribers is the number of connections subscribed to signals.
func (s *Systemd) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subscribers)
}

// Unit returns a copy of a unit's state, and whether it exists.
func (s *Systemd) Unit(name string) (Unit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.units[sd.PathBusEscape(name)]
	if !ok {
		return Unit{}, false
	}
	return *u, true
}

// Add creates a loaded, inactive unit (full name, e.g. "plex.service").
func (s *Systemd) Add(name string) {
	s.change(name, func(u *Unit) {
		u.LoadState, u.ActiveState, u.SubState = "loaded", "inactive", "dead"
	})
	s.conn.Emit(managerPath, managerIf+".UnitNew", name, unitPath(name))
}

// Start makes a unit active/running with a new main PID and some memory.
func (s *Systemd) Start(name string) {
	s.change(name, func(u *Unit) {
		s.nextPID++
		u.LoadState, u.ActiveState, u.SubState = "loaded", "active", "running"
		u.MainPID, u.MemoryCurrent, u.CPUUsageNSec = s.nextPID, 64<<20, 0
	})
}

// Stop makes a unit inactive/dead.
func (s *Systemd) Stop(name string) {
	s.change(name, func(u *Unit) {
		u.ActiveState, u.SubState, u.MainPID, u.MemoryCurrent, u.CPUUsageNSec = "inactive", "dead", 0, NotSet, NotSet
	})
}

// Fail makes a unit failed/failed.
func (s *Systemd) Fail(name string) {
	s.change(name, func(u *Unit) {
		u.ActiveState, u.SubState, u.MainPID, u.MemoryCurrent, u.CPUUsageNSec = "failed", "failed", 0, NotSet, NotSet
	})
}

// AutoRestart is a crash followed by systemd's automatic restart: NRestarts
// goes up and the unit runs again with a new PID.
func (s *Systemd) AutoRestart(name string) {
	s.SetState(name, "activating", "auto-restart")
	s.change(name, func(u *Unit) { u.NRestarts++ })
	s.Start(name)
}

// Remove makes a unit vanish: systemd then answers not-found for it.
func (s *Systemd) Remove(name string) {
	s.change(name, func(u *Unit) {
		*u = Unit{Name: name, LoadState: "not-found", ActiveState: "inactive", SubState: "dead", MemoryCurrent: NotSet, CPUUsageNSec: NotSet}
	})
	s.conn.Emit(managerPath, managerIf+".UnitRemoved", name, unitPath(name))
}

// SetState sets any ActiveState/SubState pair (e.g. "reloading", "reload").
func (s *Systemd) SetState(name, active, sub string) {
	s.change(name, func(u *Unit) { u.ActiveState, u.SubState = active, sub })
}

// SetLoadState sets the LoadState (e.g. "masked", "bad-setting").
func (s *Systemd) SetLoadState(name, load string) {
	s.change(name, func(u *Unit) { u.LoadState = load })
}

// AddCPU adds CPU time to a unit's counter, with no signal (as systemd).
func (s *Systemd) AddCPU(name string, nsec uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.units[sd.PathBusEscape(name)]; u != nil {
		u.CPUUsageNSec += nsec
	}
}

// change applies f to a unit (created not-found when unknown) and emits
// PropertiesChanged for the properties that differ.
func (s *Systemd) change(name string, f func(*Unit)) {
	s.mu.Lock()
	key := sd.PathBusEscape(name)
	u := s.units[key]
	if u == nil {
		u = &Unit{Name: name, LoadState: "not-found", ActiveState: "inactive", SubState: "dead", MemoryCurrent: NotSet, CPUUsageNSec: NotSet}
		s.units[key] = u
	}
	before := *u
	f(u)
	after := *u
	s.mu.Unlock()

	bu, au := unitProperties(&before), unitProperties(&after)
	if changed := diff(bu, au); len(changed) > 0 {
		s.conn.Emit(unitPath(name), propsIf+".PropertiesChanged", unitIf, changed, []string{})
	}
	bs, as := serviceProperties(&before), serviceProperties(&after)
	if changed := diff(bs, as); len(changed) > 0 {
		s.conn.Emit(unitPath(name), propsIf+".PropertiesChanged", serviceIf, changed, []string{})
	}
}

func diff(a, b map[string]dbus.Variant) map[string]dbus.Variant {
	out := map[string]dbus.Variant{}
	for k, v := range b {
		if a[k].String() != v.String() {
			out[k] = v
		}
	}
	return out
}

func unitPath(name string) dbus.ObjectPath {
	return dbus.ObjectPath(unitPrefix + "/" + sd.PathBusEscape(name))
}

func unitProperties(u *Unit) map[string]dbus.Variant {
	return map[string]dbus.Variant{
		"Id": dbus.MakeVariant(u.Name), "Names": dbus.MakeVariant([]string{u.Name}),
		"Description": dbus.MakeVariant("fake " + u.Name),
		"LoadState":   dbus.MakeVariant(u.LoadState), "ActiveState": dbus.MakeVariant(u.ActiveState),
		"SubState": dbus.MakeVariant(u.SubState),
	}
}

func serviceProperties(u *Unit) map[string]dbus.Variant {
	return map[string]dbus.Variant{
		"MainPID": dbus.MakeVariant(u.MainPID), "MemoryCurrent": dbus.MakeVariant(u.MemoryCurrent),
		"CPUUsageNSec": dbus.MakeVariant(u.CPUUsageNSec), "NRestarts": dbus.MakeVariant(u.NRestarts),
		"Type": dbus.MakeVariant("simple"), "Result": dbus.MakeVariant("success"),
	}
}

// lookup returns a copy of the unit at a path; an unknown unit is not-found,
// as systemd answers for a name it cannot load.
func (s *Systemd) lookup(key string) Unit {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.units[key]; u != nil {
		return *u
	}
	return Unit{Name: unescape(key), LoadState: "not-found", ActiveState: "inactive", SubState: "dead", MemoryCurrent: NotSet, CPUUsageNSec: NotSet}
}

// unescape reverses go-systemd's PathBusEscape ("_2e" → ".").
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+2 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+3], "%02x", &c); err == nil {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FailStarts makes start and restart jobs of a unit fail (the unit ends
// failed, the job result is "failed") until called again with false.
func (s *Systemd) FailStarts(name string, fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStart[sd.PathBusEscape(name)] = fail
}

// startJob is the start half of a job: the unit runs, or fails when told to.
func (s *Systemd) startJob(name string) string {
	s.mu.Lock()
	fail := s.failStart[sd.PathBusEscape(name)]
	s.mu.Unlock()
	if fail {
		s.SetState(name, "activating", "start")
		s.Fail(name)
		return "failed"
	}
	s.Start(name)
	return "done"
}
