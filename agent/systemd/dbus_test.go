package systemd

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/systemd/fakesystemd"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitChange waits for a change of name; the timeout only avoids a hang.
func waitChange(t *testing.T, c *Client, name string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got := <-c.Changes():
			if got == name {
				return
			}
		case <-deadline:
			t.Fatalf("no change event for %s", name)
		}
	}
}

func TestClientAgainstFakeSystemd(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("plex.service")
	fake.Start("plex.service")
	fake.Add("nginx.service")
	fake.Add("backup.timer")
	fake.Start("backup.timer")

	c := NewClient(addr, discard())
	defer c.Close()
	ctx := context.Background()
	names := []string{"plex.service", "nginx.service", "ghost.service", "backup.timer"}
	units, err := c.Units(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	want := []homelabcmd.ServiceStatusValue{homelabcmd.StatusRunning, homelabcmd.StatusStopped, homelabcmd.StatusUnknown, homelabcmd.StatusRunning}
	for i, u := range units {
		if s, _ := MapState(u.LoadState, u.ActiveState, u.SubState); s != want[i] || u.Name != names[i] {
			t.Errorf("%s: %s (%+v), want %s", names[i], s, u, want[i])
		}
	}
	if !units[0].HasService || units[0].MainPID == 0 || units[0].MemoryCurrent != 64<<20 {
		t.Errorf("plex service fields %+v", units[0])
	}
	if units[3].HasService {
		t.Errorf("a timer has no service fields: %+v", units[3])
	}
	if fake.Subscribers() == 0 {
		t.Fatal("the client did not subscribe")
	}

	// Each kind of change arrives as an event for that unit.
	steps := []struct {
		name   string
		do     func()
		status homelabcmd.ServiceStatusValue
	}{
		{"stop", func() { fake.Stop("plex.service") }, homelabcmd.StatusStopped},
		{"start", func() { fake.Start("plex.service") }, homelabcmd.StatusRunning},
		{"fail", func() { fake.Fail("plex.service") }, homelabcmd.StatusFailed},
		{"auto-restart", func() { fake.Start("plex.service"); fake.AutoRestart("plex.service") }, homelabcmd.StatusRunning},
		{"vanish", func() { fake.Remove("plex.service") }, homelabcmd.StatusUnknown},
	}
	for _, st := range steps {
		st.do()
		waitChange(t, c, "plex.service")
		units, err := c.Units(ctx, []string{"plex.service"})
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := MapState(units[0].LoadState, units[0].ActiveState, units[0].SubState); s != st.status {
			t.Fatalf("after %s: %s (%+v)", st.name, s, units[0])
		}
		if st.name == "auto-restart" && units[0].NRestarts != 1 {
			t.Fatalf("NRestarts %d", units[0].NRestarts)
		}
	}
}

// With no bus the client fails every call (reported as unknown by the
// agent), logging the reason once, not on every call.
func TestClientWithoutBus(t *testing.T) {
	var logs bytes.Buffer
	c := NewClient("unix:path="+t.TempDir()+"/none", slog.New(slog.NewTextHandler(&logs, nil)))
	defer c.Close()
	defer func() {
		if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
			t.Errorf("%d warnings for one outage:\n%s", n, logs.String())
		}
	}()
	if _, err := c.Units(context.Background(), []string{"a.service"}); err == nil {
		t.Fatal("no error without a bus")
	}
	if _, err := c.Units(context.Background(), []string{"a.service"}); err == nil {
		t.Fatal("no error without a bus (second call)")
	}
	r := Unavailable("a", "no bus")
	if r.Status != homelabcmd.StatusUnknown || *r.StatusReason != "systemd not available: no bus" {
		t.Fatalf("%+v", r)
	}
}

// A lost connection (systemd restarted) is re-established on the next call
// and events flow again.
func TestClientReconnects(t *testing.T) {
	fake, addr := fakesystemd.New(t)
	fake.Add("a.service")
	c := NewClient(addr, discard())
	defer c.Close()
	if _, err := c.Units(context.Background(), []string{"a.service"}); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.conn.Close() // as if the bus dropped us
	c.mu.Unlock()
	if _, err := c.Units(context.Background(), []string{"a.service"}); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
	fake.Start("a.service")
	waitChange(t, c, "a.service")
}
