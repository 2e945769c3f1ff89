package systemd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// fakeUnits answers Units from a map, or with err.
type fakeUnits struct {
	units   map[string]Unit
	err     error
	changes chan string
}

func (f *fakeUnits) Units(_ context.Context, names []string) ([]Unit, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([]Unit, len(names))
	for i, n := range names {
		out[i] = f.units[n]
		out[i].Name = n
	}
	return out, nil
}

func (f *fakeUnits) Changes() <-chan string { return f.changes }

func TestCollectorReportsWatchedNames(t *testing.T) {
	src := &fakeUnits{units: map[string]Unit{
		"plex.service":  {LoadState: "loaded", ActiveState: "active", SubState: "running"},
		"backup.timer":  {LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		"ghost.service": {LoadState: "not-found", ActiveState: "inactive"},
	}}
	c := NewCollector(src, func() []string { return []string{"backup.timer", "ghost", "plex", "plex.service"} }, discard())
	part, err := c.Collect(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var hb homelabcmd.Heartbeat
	part(&hb)
	want := map[string]homelabcmd.ServiceStatusValue{"backup.timer": homelabcmd.StatusStopped, "ghost": homelabcmd.StatusUnknown,
		"plex": homelabcmd.StatusRunning, "plex.service": homelabcmd.StatusRunning}
	if len(hb.Services) != len(want) {
		t.Fatalf("%+v", hb.Services)
	}
	for _, s := range hb.Services {
		if s.Status != want[s.Name] {
			t.Fatalf("%s: %s, want %s", s.Name, s.Status, want[s.Name])
		}
	}
}

// Without systemd, Collect fails and Failed reports each name unknown
// with the reason; with nothing watched there is no part at all.
func TestCollectorFailed(t *testing.T) {
	src := &fakeUnits{err: errors.New("dial unix: no such file")}
	names := []string{"plex", "sshd"}
	c := NewCollector(src, func() []string { return names }, discard())
	if _, err := c.Collect(context.Background(), true); err == nil {
		t.Fatal("no error without systemd")
	}
	var hb homelabcmd.Heartbeat
	c.Failed(src.err)(&hb)
	if len(hb.Services) != 2 {
		t.Fatalf("%+v", hb.Services)
	}
	for _, s := range hb.Services {
		if s.Status != homelabcmd.StatusUnknown || s.StatusReason == nil || !strings.Contains(*s.StatusReason, "systemd not available: dial unix") {
			t.Fatalf("%+v", s)
		}
	}
	names = nil
	if c.Failed(src.err) != nil {
		t.Fatal("a part with nothing watched")
	}
	if part, err := c.Collect(context.Background(), true); part != nil || err != nil {
		t.Fatal("a collection with nothing watched")
	}
}

// Watch passes on changes of watched units only.
func TestCollectorWatch(t *testing.T) {
	src := &fakeUnits{changes: make(chan string, 4)}
	c := NewCollector(src, func() []string { return []string{"plex"} }, discard())
	changed := make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Watch(ctx, func() { changed <- struct{}{} }); close(done) }()
	src.changes <- "other.service"
	src.changes <- "plex.service"
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("a watched change was not passed on")
	}
	select {
	case <-changed:
		t.Fatal("an unwatched change was passed on")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	<-done
}
