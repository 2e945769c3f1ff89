// Package packagekit lists available package updates through PackageKit
// over D-Bus (org.freedesktop.PackageKit), where a desktop or a Fedora
// machine runs it: one transaction for GetUpdates, one to Resolve the
// installed versions, results read from the transaction's Package and
// Finished signals. PackageKit keeps the package database in memory, so a
// check costs the agent almost nothing; machines without it use the
// package manager's own output (agent/updates).
package packagekit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/homelabcmd/homelabcmd"
)

// The D-Bus names of PackageKit (its API is documented with the daemon:
// org.freedesktop.PackageKit.xml and org.freedesktop.PackageKit.Transaction.xml).
const (
	BusName       = "org.freedesktop.PackageKit"
	Path          = dbus.ObjectPath("/org/freedesktop/PackageKit")
	Interface     = "org.freedesktop.PackageKit"
	TransactionIf = "org.freedesktop.PackageKit.Transaction"
)

// PkFilterEnum bits (a filter is a bitfield: 1 << value).
const (
	FilterNone      = uint64(1) << 1
	FilterInstalled = uint64(1) << 2
)

// PkInfoEnum values the client reads from Package signals.
const (
	InfoInstalled = 1
	InfoSecurity  = 8
	InfoCritical  = 26 // newer PackageKit: a critical (security) update
)

// ExitSuccess is PkExitEnum's success in the Finished signal.
const ExitSuccess = 1

// Source lists updates through PackageKit. It implements updates.Source.
type Source struct {
	// Address is the bus ("" = the system bus).
	Address string
	// StampFiles are the package database files whose change triggers a
	// recheck (those of the machine's package manager).
	StampFiles []string
	// Timeout bounds each transaction (0: 2 minutes).
	Timeout time.Duration
}

// Name implements updates.Source.
func (s *Source) Name() string { return "packagekit" }

// Stamps implements updates.Source.
func (s *Source) Stamps() []string { return s.StampFiles }

func connect(address string) (*dbus.Conn, error) {
	if address == "" {
		return dbus.ConnectSystemBus()
	}
	return dbus.Connect(address)
}

// Available reports whether PackageKit runs or can be started on the bus.
func Available(ctx context.Context, address string) bool {
	conn, err := connect(address)
	if err != nil {
		return false
	}
	defer conn.Close()
	bus := conn.BusObject()
	var owned bool
	if bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, BusName).Store(&owned) == nil && owned {
		return true
	}
	var names []string
	return bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names) == nil && slices.Contains(names, BusName)
}

// List implements updates.Source: GetUpdates (filter none) for the new
// versions and their security flag, then Resolve (filter installed) for
// the current ones. cpu is 0: the work happens in packagekitd, not in a
// child process of the agent.
func (s *Source) List(ctx context.Context) ([]homelabcmd.Package, time.Duration, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := connect(s.Address)
	if err != nil {
		return nil, 0, fmt.Errorf("packagekit: %w", err)
	}
	defer conn.Close()
	updates, err := transaction(ctx, conn, "GetUpdates", FilterNone)
	if err != nil {
		return nil, 0, err
	}
	if len(updates) == 0 {
		return []homelabcmd.Package{}, 0, nil
	}
	names := make([]string, 0, len(updates))
	for _, u := range updates {
		names = append(names, u.name)
	}
	installed, err := transaction(ctx, conn, "Resolve", FilterInstalled, names)
	if err != nil {
		return nil, 0, err
	}
	current := map[string]string{}
	for _, p := range installed {
		current[p.name+";"+p.arch] = p.version
		if _, ok := current[p.name]; !ok {
			current[p.name] = p.version
		}
	}
	list := make([]homelabcmd.Package, 0, len(updates))
	for _, u := range updates {
		cur, ok := current[u.name+";"+u.arch]
		if !ok {
			cur = current[u.name]
		}
		if cur == "" {
			continue // newly pulled in, not an update of something installed
		}
		repo := u.data
		if repo == "" {
			repo = "unknown"
		}
		list = append(list, homelabcmd.Package{Name: u.name, CurrentVersion: cur, NewVersion: u.version, Repository: repo,
			IsSecurity: u.info == InfoSecurity || u.info == InfoCritical})
	}
	slices.SortFunc(list, func(a, b homelabcmd.Package) int { return strings.Compare(a.Name, b.Name) })
	return list, 0, nil
}

// pkg is one Package signal: PackageKit's id is "name;version;arch;data".
type pkg struct {
	info                      uint32
	name, version, arch, data string
}

// transaction creates a transaction, runs method on it with args and
// collects its Package signals until Finished.
func transaction(ctx context.Context, conn *dbus.Conn, method string, args ...any) ([]pkg, error) {
	var path dbus.ObjectPath
	if err := conn.Object(BusName, Path).CallWithContext(ctx, Interface+".CreateTransaction", 0).Store(&path); err != nil {
		return nil, fmt.Errorf("packagekit: CreateTransaction: %w", err)
	}
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(path), dbus.WithMatchInterface(TransactionIf)}
	if err := conn.AddMatchSignalContext(ctx, match...); err != nil {
		return nil, fmt.Errorf("packagekit: %w", err)
	}
	defer conn.RemoveMatchSignalContext(context.WithoutCancel(ctx), match...)
	signals := make(chan *dbus.Signal, 256)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	tx := conn.Object(BusName, path)
	// Untranslated, non-interactive: nothing may wait for a person.
	if err := tx.CallWithContext(ctx, TransactionIf+".SetHints", 0, []string{"locale=C", "interactive=false", "background=true"}).Err; err != nil {
		return nil, fmt.Errorf("packagekit: SetHints: %w", err)
	}
	if err := tx.CallWithContext(ctx, TransactionIf+"."+method, 0, args...).Err; err != nil {
		return nil, fmt.Errorf("packagekit: %s: %w", method, err)
	}
	var out []pkg
	var failure error
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("packagekit: %s: %w", method, ctx.Err())
		case sig, ok := <-signals:
			if !ok {
				return nil, errors.New("packagekit: the bus connection closed")
			}
			if sig.Path != path {
				continue
			}
			switch sig.Name {
			case TransactionIf + ".Package":
				if len(sig.Body) < 2 {
					continue
				}
				info, _ := sig.Body[0].(uint32)
				id, _ := sig.Body[1].(string)
				f := strings.SplitN(id, ";", 4)
				if len(f) < 4 || f[0] == "" {
					continue
				}
				out = append(out, pkg{info: info, name: f[0], version: f[1], arch: f[2], data: f[3]})
			case TransactionIf + ".ErrorCode":
				if len(sig.Body) >= 2 {
					failure = fmt.Errorf("packagekit: %s: error %v: %v", method, sig.Body[0], sig.Body[1])
				}
			case TransactionIf + ".Finished":
				if failure != nil {
					return nil, failure
				}
				if len(sig.Body) > 0 {
					if exit, _ := sig.Body[0].(uint32); exit != ExitSuccess {
						return nil, fmt.Errorf("packagekit: %s finished with exit %d", method, exit)
					}
				}
				return out, nil
			}
		}
	}
}
