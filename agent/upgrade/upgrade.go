// Package upgrade replaces the running agent binary with the one the hub
// serves for this machine's architecture, and rolls it back when the new
// binary cannot reach the hub.
//
// An upgrade (Upgrader.Upgrade) downloads the binary next to the running
// executable as a temporary file while hashing it, compares the SHA-256
// with the hub's /sha256 answer, fsyncs and marks it executable, runs it
// once with --version (no shell, one fixed argument) and requires the
// target version in its answer, keeps the running binary as
// <exe>.previous, writes the marker <exe>.upgrade, and renames the new
// file over the executable. The caller then reports the result and exits,
// so that systemd (Restart=always) starts the new binary.
//
// The new binary, on start (Check), finds the marker: it must get one
// heartbeat through within the window the marker names (Guard.Confirm
// removes the marker and <exe>.previous), or the window passes and
// Guard rolls back: <exe>.previous is renamed over the executable and
// the agent exits, so systemd starts the old binary again.
package upgrade

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultWindow is how long a new binary has to get a heartbeat through.
const DefaultWindow = 3 * time.Minute

// WindowEnv overrides DefaultWindow (a Go duration, e.g. "20s"), read by
// the agent that performs the upgrade and written into the marker.
const WindowEnv = "HOMELAB_CMD_UPGRADE_ROLLBACK_AFTER"

// MaxSize bounds a downloaded binary.
const MaxSize = 256 << 20

// Source fetches from the hub with the agent's credentials
// (client.Client.Open in production).
type Source interface {
	Open(ctx context.Context, path string) (io.ReadCloser, error)
}

// Upgrader swaps the running binary for the hub's.
type Upgrader struct {
	Hub Source
	// Exe is the running executable (Executable()).
	Exe string
	// Arch is the download route's name of this machine (Arch()).
	Arch string
	// Slim is true for the homelabcmd-agent binary, false for `homelabcmd
	// agent`: the hub's file must be the same kind, since the systemd unit
	// runs it with the same arguments.
	Slim bool
	// Window is written into the marker (0: DefaultWindow).
	Window time.Duration
	// CheckTimeout bounds the --version run (0: 30 s).
	CheckTimeout time.Duration
}

// Arch is this machine's architecture in the download route's names.
func Arch() string {
	if runtime.GOARCH == "arm" {
		return "armv7"
	}
	return runtime.GOARCH
}

// Executable is the running binary's path with symlinks resolved, so the
// file renamed over is the real one.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}

// WindowFromEnv is the rollback window from WindowEnv in env, else DefaultWindow.
func WindowFromEnv(env []string) time.Duration {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == WindowEnv {
			if d, err := time.ParseDuration(v); err == nil && d > 0 {
				return d
			}
		}
	}
	return DefaultWindow
}

// Marker is the state of an upgrade that is not yet confirmed, kept as
// JSON in <exe>.upgrade.
type Marker struct {
	PreviousVersion string    `json:"previous_version"`
	TargetVersion   string    `json:"target_version"`
	WindowSeconds   float64   `json:"window_seconds"`
	SwappedAt       time.Time `json:"swapped_at"`
	// StartedAt is when the new binary first started; the window counts
	// from then (a crash-looping new binary keeps the first start).
	StartedAt *time.Time `json:"started_at,omitempty"`
}

// Deadline is when the new binary must have got a heartbeat through.
func (m *Marker) Deadline() time.Time {
	from := m.SwappedAt
	if m.StartedAt != nil {
		from = *m.StartedAt
	}
	return from.Add(time.Duration(m.WindowSeconds * float64(time.Second)))
}

// MarkerPath and PreviousPath are the files an upgrade keeps next to exe.
func MarkerPath(exe string) string   { return exe + ".upgrade" }
func PreviousPath(exe string) string { return exe + ".previous" }

// Upgrade installs the hub's binary for u.Arch over u.Exe if it is the
// target version, and returns its --version line. On any error the running
// binary is untouched and nothing is left behind.
func (u *Upgrader) Upgrade(ctx context.Context, current, target string) (string, error) {
	if target == "" {
		return "", errors.New("the hub named no target version")
	}
	if u.Exe == "" {
		return "", errors.New("the agent does not know its own executable")
	}
	sum, name, err := u.checksum(ctx)
	if err != nil {
		return "", err
	}
	slimFile := strings.HasPrefix(name, "homelabcmd-agent-")
	if slimFile != u.Slim {
		return "", fmt.Errorf("the hub serves %s for linux/%s, but this agent runs as %s: replacing it would break its systemd unit; reinstall with install.sh instead", name, u.Arch, filepath.Base(u.Exe))
	}
	dir := filepath.Dir(u.Exe)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(u.Exe)+".new-*")
	if err != nil {
		if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("cannot write next to %s (%v): an agent unit written before upgrades existed keeps that folder read-only; re-run the agent's install (it adds ReadWritePaths=%s) or upgrade with install.sh", u.Exe, err, dir)
		}
		return "", err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	body, err := u.Hub.Open(ctx, "/api/v1/agents/download/"+u.Arch)
	if err != nil {
		return "", fmt.Errorf("downloading the agent for linux/%s: %w", u.Arch, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, MaxSize+1))
	body.Close()
	if err != nil {
		return "", fmt.Errorf("downloading the agent for linux/%s: %w", u.Arch, err)
	}
	if n > MaxSize {
		return "", fmt.Errorf("the hub's agent binary is larger than %d MiB", MaxSize>>20)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return "", fmt.Errorf("checksum mismatch for %s: the hub announced %s, the download is %s; nothing was replaced", name, sum, got)
	}
	if err := tmp.Chmod(0o755); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	line, err := u.runVersion(ctx, tmp.Name())
	if err != nil {
		return "", err
	}
	if !strings.Contains(" "+line+" ", " "+target+" ") {
		return "", fmt.Errorf("the hub serves %q, not the target version %s; nothing was replaced (put the %s release's agents into the hub's agents_dir)", line, target, target)
	}
	window := u.Window
	if window <= 0 {
		window = DefaultWindow
	}
	if err := swap(u.Exe, tmp.Name(), Marker{PreviousVersion: current, TargetVersion: target, WindowSeconds: window.Seconds(), SwappedAt: time.Now().UTC()}); err != nil {
		return "", err
	}
	keep = true
	return line, nil
}

// checksum fetches the hub's "<sha256>  <name>" line for u.Arch.
func (u *Upgrader) checksum(ctx context.Context) (string, string, error) {
	body, err := u.Hub.Open(ctx, "/api/v1/agents/download/"+u.Arch+"/sha256")
	if err != nil {
		return "", "", fmt.Errorf("the hub's checksum for linux/%s: %w", u.Arch, err)
	}
	defer body.Close()
	line, err := bufio.NewReader(io.LimitReader(body, 4096)).ReadString('\n')
	if err != nil && line == "" {
		return "", "", fmt.Errorf("the hub sent no checksum for linux/%s", u.Arch)
	}
	f := strings.Fields(line)
	if len(f) != 2 || len(f[0]) != 64 {
		return "", "", fmt.Errorf("the hub's checksum line for linux/%s is not '<sha256>  <name>': %q", u.Arch, strings.TrimSpace(line))
	}
	if _, err := hex.DecodeString(f[0]); err != nil {
		return "", "", fmt.Errorf("the hub's checksum for linux/%s is not hex", u.Arch)
	}
	return strings.ToLower(f[0]), f[1], nil
}

// runVersion runs path --version (no shell) and returns its first line.
func (u *Upgrader) runVersion(ctx context.Context, path string) (string, error) {
	timeout := u.CheckTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, path, "--version")
	cmd.Env = []string{}
	out, err := cmd.Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil {
		return "", fmt.Errorf("the downloaded agent does not run here (%s --version: %v); nothing was replaced", filepath.Base(u.Exe), err)
	}
	if line == "" {
		return "", errors.New("the downloaded agent printed no version; nothing was replaced")
	}
	return line, nil
}

// swap keeps exe as exe.previous, writes the marker and renames newFile
// over exe, each step durable; on an error before the rename it undoes
// what it did.
func swap(exe, newFile string, m Marker) error {
	prev := PreviousPath(exe)
	if err := os.Remove(prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// A hard link keeps the old binary without copying it; the rename
	// below then only moves the name exe.
	if err := os.Link(exe, prev); err != nil {
		if err := copyFile(exe, prev); err != nil {
			return fmt.Errorf("keeping the running binary as %s: %w", prev, err)
		}
	}
	if err := writeMarker(exe, &m); err != nil {
		os.Remove(prev)
		return err
	}
	if err := os.Rename(newFile, exe); err != nil {
		os.Remove(MarkerPath(exe))
		os.Remove(prev)
		return err
	}
	return syncDir(filepath.Dir(exe))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	return out.Close()
}

// writeMarker writes m atomically (temporary file, fsync, rename).
func writeMarker(exe string, m *Marker) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	path := MarkerPath(exe)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// ErrRolledBack is returned by Check and passed to Guard's stop when the
// new binary's window passed: the previous binary is back in place and
// the agent must exit so that systemd starts it.
var ErrRolledBack = errors.New("rolled back")

// Guard watches an unconfirmed upgrade of the running binary.
type Guard struct {
	Exe    string
	Marker Marker

	mu      sync.Mutex
	settled bool
	timer   *time.Timer
}

// Check looks for an unconfirmed upgrade of exe, which the running binary
// (version) is. It returns nil when there is none (and clears a stale
// marker: one naming another version, or without <exe>.previous). When
// the window has passed it rolls back at once and returns ErrRolledBack
// wrapped; otherwise it records the first start and returns a Guard for
// Start.
func Check(exe, version string, now time.Time) (*Guard, error) {
	data, err := os.ReadFile(MarkerPath(exe))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Marker
	if err := json.Unmarshal(data, &m); err != nil || m.TargetVersion != version {
		// Not this binary's upgrade (a hand-installed binary, a broken
		// marker): nothing to watch.
		return nil, clearUpgrade(exe)
	}
	if _, err := os.Stat(PreviousPath(exe)); err != nil {
		return nil, os.Remove(MarkerPath(exe))
	}
	g := &Guard{Exe: exe, Marker: m}
	if m.StartedAt == nil {
		t := now.UTC()
		g.Marker.StartedAt = &t
		if err := writeMarker(exe, &g.Marker); err != nil {
			return nil, err
		}
	}
	if !now.Before(g.Marker.Deadline()) {
		if err := g.rollback(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: version %s got no heartbeat through by %s; %s (version %s) is back in place",
			ErrRolledBack, version, g.Marker.Deadline().Format(time.RFC3339), exe, m.PreviousVersion)
	}
	return g, nil
}

// Start arms the window: unless Confirm comes first, at the deadline the
// previous binary is restored and stop is called with ErrRolledBack (or
// the restore's error).
func (g *Guard) Start(now time.Time, stop func(error)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.timer = time.AfterFunc(g.Marker.Deadline().Sub(now), func() {
		g.mu.Lock()
		if g.settled {
			g.mu.Unlock()
			return
		}
		g.settled = true
		g.mu.Unlock()
		if err := g.rollback(); err != nil {
			stop(fmt.Errorf("rolling back the upgrade to %s: %w", g.Marker.TargetVersion, err))
			return
		}
		stop(fmt.Errorf("%w: version %s got no heartbeat through within %s; version %s is back in place",
			ErrRolledBack, g.Marker.TargetVersion, time.Duration(g.Marker.WindowSeconds*float64(time.Second)), g.Marker.PreviousVersion))
	})
}

// Confirm settles the upgrade after a heartbeat went through: the marker
// and <exe>.previous are removed. It reports whether it settled it (false
// when already settled, e.g. rolled back).
func (g *Guard) Confirm() (bool, error) {
	g.mu.Lock()
	if g.settled {
		g.mu.Unlock()
		return false, nil
	}
	g.settled = true
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	return true, clearUpgrade(g.Exe)
}

// clearUpgrade removes the marker, then <exe>.previous.
func clearUpgrade(exe string) error {
	if err := os.Remove(MarkerPath(exe)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(PreviousPath(exe)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(exe))
}

// rollback renames <exe>.previous over exe, then removes the marker.
func (g *Guard) rollback() error {
	if err := os.Rename(PreviousPath(g.Exe), g.Exe); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(g.Exe)); err != nil {
		return err
	}
	if err := os.Remove(MarkerPath(g.Exe)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(g.Exe))
}
