package fakesystemd

import (
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// unitStatus is the (ssssssouso) struct of ListUnits and ListUnitsByNames.
type unitStatus struct {
	Name, Description, LoadState, ActiveState, SubState, Followed string
	Path                                                          dbus.ObjectPath
	JobID                                                         uint32
	JobType                                                       string
	JobPath                                                       dbus.ObjectPath
}

// manager holds the exported org.freedesktop.systemd1.Manager methods.
type manager struct{ s *Systemd }

func (m manager) count(method string) {
	m.s.mu.Lock()
	m.s.calls[method]++
	m.s.mu.Unlock()
}

func (m manager) status(name string) unitStatus {
	u := m.s.lookup(sd.PathBusEscape(name))
	return unitStatus{Name: name, Description: "fake " + name, LoadState: u.LoadState, ActiveState: u.ActiveState,
		SubState: u.SubState, Path: unitPath(name), JobPath: "/"}
}

func (m manager) GetUnit(name string) (dbus.ObjectPath, *dbus.Error) {
	m.count("GetUnit")
	if u := m.s.lookup(sd.PathBusEscape(name)); u.LoadState == "not-found" && u.ActiveState == "inactive" {
		return "", dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not loaded."})
	}
	return unitPath(name), nil
}

func (m manager) LoadUnit(name string) (dbus.ObjectPath, *dbus.Error) {
	m.count("LoadUnit")
	return unitPath(name), nil
}

func (m manager) ListUnitsByNames(names []string) ([]unitStatus, *dbus.Error) {
	m.count("ListUnitsByNames")
	out := make([]unitStatus, 0, len(names))
	for _, n := range names {
		out = append(out, m.status(n))
	}
	return out, nil
}

func (m manager) ListUnits() ([]unitStatus, *dbus.Error) {
	m.count("ListUnits")
	m.s.mu.Lock()
	var names []string
	for _, u := range m.s.units {
		if u.LoadState != "not-found" {
			names = append(names, u.Name)
		}
	}
	m.s.mu.Unlock()
	out := make([]unitStatus, 0, len(names))
	for _, n := range names {
		out = append(out, m.status(n))
	}
	return out, nil
}

func (m manager) Subscribe(sender dbus.Sender) *dbus.Error {
	m.count("Subscribe")
	m.s.mu.Lock()
	m.s.subscribers[string(sender)] = true
	m.s.mu.Unlock()
	return nil
}

func (m manager) Unsubscribe(sender dbus.Sender) *dbus.Error {
	m.count("Unsubscribe")
	m.s.mu.Lock()
	delete(m.s.subscribers, string(sender))
	m.s.mu.Unlock()
	return nil
}

// job runs f as a job on a unit and announces it with JobRemoved and the
// result f returns ("done", "failed", …).
func (m manager) job(method, name string, f func() string) (dbus.ObjectPath, *dbus.Error) {
	m.count(method)
	if u := m.s.lookup(sd.PathBusEscape(name)); u.LoadState == "not-found" {
		return "", dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not found."})
	}
	m.s.mu.Lock()
	m.s.nextJob++
	id := m.s.nextJob
	m.s.mu.Unlock()
	path := dbus.ObjectPath(strings.TrimSuffix(string(managerPath), "/") + "/job/" + itoa(id))
	go func() {
		result := f()
		m.s.conn.Emit(managerPath, managerIf+".JobRemoved", id, path, name, result)
	}()
	return path, nil
}

func (m manager) StartUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	return m.job("StartUnit", name, func() string { return m.s.startJob(name) })
}

func (m manager) StopUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	return m.job("StopUnit", name, func() string { m.s.Stop(name); return "done" })
}

// RestartUnit stops and starts the unit: it runs again with a new main PID
// (a manual restart does not count in NRestarts, as in systemd, which counts
// only its automatic restarts). With FailStarts the start fails: the unit
// ends failed and the job result is "failed".
func (m manager) RestartUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	return m.job("RestartUnit", name, func() string {
		m.s.SetState(name, "deactivating", "stop")
		m.s.Stop(name)
		return m.s.startJob(name)
	})
}

func (m manager) Reload() *dbus.Error { m.count("Reload"); return nil }

// unitProps serves org.freedesktop.DBus.Properties for every unit path.
type unitProps struct{ s *Systemd }

func (p unitProps) props(msg dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
	path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	key := strings.TrimPrefix(string(path), unitPrefix+"/")
	u := p.s.lookup(key)
	switch iface {
	case unitIf:
		return unitProperties(&u), nil
	case serviceIf:
		return serviceProperties(&u), nil
	case "":
		all := unitProperties(&u)
		for k, v := range serviceProperties(&u) {
			all[k] = v
		}
		return all, nil
	}
	return map[string]dbus.Variant{}, nil
}

func (p unitProps) GetAll(msg dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
	return p.props(msg, iface)
}

func (p unitProps) Get(msg dbus.Message, iface, name string) (dbus.Variant, *dbus.Error) {
	all, _ := p.props(msg, iface)
	v, ok := all[name]
	if !ok {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{"Unknown property " + name})
	}
	return v, nil
}

func itoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
