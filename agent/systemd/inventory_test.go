package systemd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

func TestInventory(t *testing.T) {
	tests := []struct {
		name                 string
		names, descs, states []string
		want                 []string
	}{
		{"services only, sorted", []string{"sshd.service", "backup.timer", "plex.service"}, []string{"OpenSSH", "Backup", "Plex"}, []string{"loaded", "loaded", "loaded"},
			[]string{"plex.service", "sshd.service"}},
		{"not-found and bad names left out", []string{"gone.service", "bad name.service", "ok@1.service"}, []string{"", "", "instance"}, []string{"not-found", "loaded", "loaded"},
			[]string{"ok@1.service"}},
		{"duplicates once", []string{"a.service", "a.service"}, []string{"A", "A"}, []string{"loaded", "loaded"}, []string{"a.service"}},
		{"none", nil, nil, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Inventory(tt.names, tt.descs, tt.states)
			names := []string{}
			for _, u := range got {
				names = append(names, u.Name)
				if u.Kind != homelabcmd.UnitKindService {
					t.Errorf("%s: kind %q", u.Name, u.Kind)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", names, tt.want)
			}
		})
	}
	long := Inventory([]string{"x.service"}, []string{strings.Repeat("ü", 500) + "\x1b"}, []string{"loaded"})
	if n := len([]rune(long[0].Description)); n != homelabcmd.MaxUnitDescriptionLen {
		t.Fatalf("description of %d runes", n)
	}
}

type fakeLister struct {
	units []homelabcmd.AvailableUnit
	err   error
	calls int
}

func (f *fakeLister) ListServices(context.Context) ([]homelabcmd.AvailableUnit, error) {
	f.calls++
	return f.units, f.err
}

// TestInventoryPacing: sent on start, not again until a change is seen at
// the next check, and again after InventoryResend without change; never on
// a heartbeat made for a change (not full).
func TestInventoryPacing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	lister := &fakeLister{units: []homelabcmd.AvailableUnit{{Name: "plex.service", Kind: "service"}}}
	c := NewInventoryCollector(lister, func() []string { return []string{"plex"} }, discard())
	c.Now = func() time.Time { return now }
	sent := func(full bool) *homelabcmd.Heartbeat {
		t.Helper()
		part, err := c.Collect(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		if part == nil {
			return nil
		}
		hb := &homelabcmd.Heartbeat{}
		part(hb)
		return hb
	}
	if hb := sent(false); hb != nil || lister.calls != 0 {
		t.Fatal("a change heartbeat listed or carried the inventory")
	}
	hb := sent(true)
	if hb == nil || len(hb.AvailableUnits) != 1 || strings.Join(hb.MonitoredServices, ",") != "plex" {
		t.Fatalf("first full heartbeat: %+v", hb)
	}
	now = now.Add(time.Minute)
	if sent(true) != nil || lister.calls != 1 {
		t.Fatalf("listed again within InventoryCheck (%d calls)", lister.calls)
	}
	now = now.Add(InventoryCheck)
	if sent(true) != nil || lister.calls != 2 {
		t.Fatalf("unchanged inventory sent again, or not checked (%d calls)", lister.calls)
	}
	lister.units = append(lister.units, homelabcmd.AvailableUnit{Name: "sonarr.service", Kind: "service"})
	now = now.Add(InventoryCheck)
	if hb := sent(true); hb == nil || len(hb.AvailableUnits) != 2 {
		t.Fatalf("a change was not sent: %+v", hb)
	}
	now = now.Add(InventoryResend)
	if hb := sent(true); hb == nil {
		t.Fatal("not resent after InventoryResend")
	}
	lister.err = errors.New("bus gone")
	now = now.Add(InventoryCheck)
	if _, err := c.Collect(ctx, true); err == nil {
		t.Fatal("a failed listing is not an error")
	}
}

func TestListServicesAgainstFakeSystemd(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("plex.service")
	fake.Add("backup.timer")
	c := NewClient(addr, discard())
	defer c.Close()
	units, err := c.ListServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 1 || units[0].Name != "plex.service" || units[0].Description != "fake plex.service" {
		t.Fatalf("units = %+v", units)
	}
}
