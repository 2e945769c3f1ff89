package upgrade

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHub serves one file and its checksum line.
type fakeHub struct {
	body []byte
	sum  string // "" : the body's
	name string
}

func (h *fakeHub) Open(_ context.Context, path string) (io.ReadCloser, error) {
	switch path {
	case "/api/v1/agents/download/amd64":
		return io.NopCloser(bytes.NewReader(h.body)), nil
	case "/api/v1/agents/download/amd64/sha256":
		sum := h.sum
		if sum == "" {
			s := sha256.Sum256(h.body)
			sum = hex.EncodeToString(s[:])
		}
		return io.NopCloser(strings.NewReader(sum + "  " + h.name + "\n")), nil
	}
	return nil, errors.New("404 " + path)
}

// script is a stand-in binary: a shell script answering --version.
func script(version string) []byte {
	return []byte("#!/bin/sh\necho \"homelabcmd-agent " + version + " (go1.26, linux/amd64)\"\n")
}

func setup(t *testing.T, old []byte) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "homelabcmd-agent")
	if err := os.WriteFile(exe, old, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// onlyExe fails unless the folder of exe holds exactly names.
func onlyFiles(t *testing.T, exe string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Dir(exe))
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("files %v, want %v", got, names)
	}
}

func TestUpgradeSwapsAndKeepsPrevious(t *testing.T) {
	exe := setup(t, script("v1"))
	u := &Upgrader{Hub: &fakeHub{body: script("v2"), name: "homelabcmd-agent-linux-amd64"}, Exe: exe, Arch: "amd64", Slim: true, Window: time.Minute}
	line, err := u.Upgrade(context.Background(), "v1", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, " v2 ") {
		t.Fatalf("version line %q", line)
	}
	if read(t, exe) != string(script("v2")) || read(t, PreviousPath(exe)) != string(script("v1")) {
		t.Fatal("exe is not the new binary or .previous not the old one")
	}
	if st, _ := os.Stat(exe); st.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v", st.Mode())
	}
	onlyFiles(t, exe, "homelabcmd-agent", "homelabcmd-agent.previous", "homelabcmd-agent.upgrade")

	// The new binary starts: it is watched until a heartbeat confirms it.
	now := time.Now()
	g, err := Check(exe, "v2", now)
	if err != nil || g == nil {
		t.Fatalf("check: %v %v", g, err)
	}
	if g.Marker.PreviousVersion != "v1" || !g.Marker.Deadline().Equal(now.UTC().Add(time.Minute)) {
		t.Fatalf("marker %+v", g.Marker)
	}
	stopped := make(chan error, 1)
	g.Start(now, func(err error) { stopped <- err })
	if ok, err := g.Confirm(); !ok || err != nil {
		t.Fatalf("confirm: %v %v", ok, err)
	}
	if ok, _ := g.Confirm(); ok {
		t.Fatal("confirmed twice")
	}
	onlyFiles(t, exe, "homelabcmd-agent")
	if g, err := Check(exe, "v2", now); g != nil || err != nil {
		t.Fatalf("after confirm: %v %v", g, err)
	}
}

func TestUpgradeRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		hub  *fakeHub
		slim bool
		want string
	}{
		{"checksum mismatch", &fakeHub{body: script("v2"), sum: strings.Repeat("ab", 32), name: "homelabcmd-agent-linux-amd64"}, true, "checksum mismatch"},
		{"does not run", &fakeHub{body: []byte("\x7fELF not really"), name: "homelabcmd-agent-linux-amd64"}, true, "does not run here"},
		{"fails --version", &fakeHub{body: []byte("#!/bin/sh\nexit 3\n"), name: "homelabcmd-agent-linux-amd64"}, true, "does not run here"},
		{"other version", &fakeHub{body: script("v3"), name: "homelabcmd-agent-linux-amd64"}, true, "not the target version v2"},
		{"other kind", &fakeHub{body: script("v2"), name: "homelabcmd-agent-linux-amd64"}, false, "would break its systemd unit"},
		{"bad checksum line", &fakeHub{body: script("v2"), sum: "nope", name: "homelabcmd-agent-linux-amd64"}, true, "is not '<sha256>  <name>'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			exe := setup(t, script("v1"))
			u := &Upgrader{Hub: c.hub, Exe: exe, Arch: "amd64", Slim: c.slim}
			_, err := u.Upgrade(context.Background(), "v1", "v2")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if read(t, exe) != string(script("v1")) {
				t.Fatal("the running binary changed")
			}
			onlyFiles(t, exe, "homelabcmd-agent")
		})
	}
}

// A new binary that gets no heartbeat through within the window puts the
// previous one back and stops the agent.
func TestRollbackAfterWindow(t *testing.T) {
	exe := setup(t, script("v1"))
	u := &Upgrader{Hub: &fakeHub{body: script("v2"), name: "homelabcmd-agent-linux-amd64"}, Exe: exe, Arch: "amd64", Slim: true, Window: 50 * time.Millisecond}
	if _, err := u.Upgrade(context.Background(), "v1", "v2"); err != nil {
		t.Fatal(err)
	}
	g, err := Check(exe, "v2", time.Now())
	if err != nil || g == nil {
		t.Fatalf("check: %v %v", g, err)
	}
	stopped := make(chan error, 1)
	g.Start(time.Now(), func(err error) { stopped <- err })
	select {
	case err := <-stopped:
		if !errors.Is(err, ErrRolledBack) {
			t.Fatalf("stop with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no rollback")
	}
	if ok, _ := g.Confirm(); ok {
		t.Fatal("confirmed after the rollback")
	}
	if read(t, exe) != string(script("v1")) {
		t.Fatal("the previous binary is not back")
	}
	onlyFiles(t, exe, "homelabcmd-agent")
}

// A new binary that starts after its window (it crashed, the machine was
// off) rolls back at once; the first start is what the window counts from.
func TestRollbackAtStartAfterDeadline(t *testing.T) {
	exe := setup(t, script("v1"))
	u := &Upgrader{Hub: &fakeHub{body: script("v2"), name: "homelabcmd-agent-linux-amd64"}, Exe: exe, Arch: "amd64", Slim: true, Window: time.Minute}
	if _, err := u.Upgrade(context.Background(), "v1", "v2"); err != nil {
		t.Fatal(err)
	}
	first := time.Now().Add(time.Hour) // the first start, long after the swap
	if g, err := Check(exe, "v2", first); err != nil || g == nil {
		t.Fatalf("first start: %v %v", g, err)
	}
	if g, err := Check(exe, "v2", first.Add(30*time.Second)); err != nil || g == nil || !g.Marker.StartedAt.Equal(first.UTC()) {
		t.Fatalf("second start within the window: %v %v", g, err)
	}
	g, err := Check(exe, "v2", first.Add(2*time.Minute))
	if g != nil || !errors.Is(err, ErrRolledBack) {
		t.Fatalf("after the window: %v %v", g, err)
	}
	if read(t, exe) != string(script("v1")) {
		t.Fatal("the previous binary is not back")
	}
	onlyFiles(t, exe, "homelabcmd-agent")
}

// A marker that names another version than the running one (the previous
// binary back after a rollback by hand) is cleared, not acted on.
func TestStaleMarker(t *testing.T) {
	exe := setup(t, script("v1"))
	u := &Upgrader{Hub: &fakeHub{body: script("v2"), name: "homelabcmd-agent-linux-amd64"}, Exe: exe, Arch: "amd64", Slim: true}
	if _, err := u.Upgrade(context.Background(), "v1", "v2"); err != nil {
		t.Fatal(err)
	}
	if g, err := Check(exe, "v1", time.Now()); g != nil || err != nil {
		t.Fatalf("%v %v", g, err)
	}
	onlyFiles(t, exe, "homelabcmd-agent")
}

// Confirm and the window racing: exactly one wins.
func TestConfirmOrRollbackOnce(t *testing.T) {
	for i := 0; i < 20; i++ {
		exe := setup(t, script("v1"))
		u := &Upgrader{Hub: &fakeHub{body: script("v2"), name: "homelabcmd-agent-linux-amd64"}, Exe: exe, Arch: "amd64", Slim: true, Window: time.Millisecond}
		if _, err := u.Upgrade(context.Background(), "v1", "v2"); err != nil {
			t.Fatal(err)
		}
		g, err := Check(exe, "v2", time.Now().Add(-time.Hour).Add(time.Hour)) // window of 1 ms from now
		if err != nil && !errors.Is(err, ErrRolledBack) {
			t.Fatal(err)
		}
		if g == nil {
			continue // already past: rolled back at start
		}
		var mu sync.Mutex
		rolled := false
		done := make(chan struct{})
		g.Start(time.Now(), func(error) { mu.Lock(); rolled = true; mu.Unlock(); close(done) })
		confirmed, _ := g.Confirm()
		if !confirmed {
			<-done
		}
		mu.Lock()
		if confirmed == rolled {
			t.Fatalf("confirmed %v, rolled back %v", confirmed, rolled)
		}
		mu.Unlock()
		want := script("v2")
		if rolled {
			want = script("v1")
		}
		if read(t, exe) != string(want) {
			t.Fatalf("exe after confirmed=%v", confirmed)
		}
		onlyFiles(t, exe, "homelabcmd-agent")
	}
}
