package sshtest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Busybox is the static busybox (Debian's busybox-static) whose applets
// make up a rooted server's userland.
const Busybox = "/bin/busybox"

// Rooted servers have a non-root login that may sudo with a password.
const (
	SudoUser = "deploy"
	sudoUID  = 1000
)

// StartRooted is Start with sshd chrooted into a minimal root of its own
// (in a mount namespace, so its /proc is not the host's mount): busybox
// for the shell and coreutils, sshd and the libraries ldd lists, the
// accounts root and SudoUser, a stand-in sudo and a stand-in systemctl.
// What a test installs over SSH lands in Root, never on the machine
// running the tests. There is no systemd in the root: systemctl is a
// busybox sh script that starts a unit's ExecStart in the background
// (pid in /run/<unit>.pid) and stops it with SIGTERM; sudo is fakesudo,
// built from this package's fakesudo folder and installed setuid root.
func StartRooted() (*SSHD, error) {
	if _, err := os.Stat(Busybox); err != nil {
		return nil, ErrUnavailable
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return nil, ErrUnavailable
	}
	s, err := newNamespace()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	s.Root = filepath.Join(s.dir, "root")
	if err := s.buildRoot(); err != nil {
		return nil, err
	}
	if err := s.launch(exec.Command("ip", "netns", "exec", s.NS, "unshare", "--mount", "--root="+s.Root, "--mount-proc",
		Sshd, "-D", "-e", "-f", "/etc/ssh/sshd_config")); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// StartRootedT is StartRooted for a test: it skips when the machine cannot
// run the server (unless Required), fails on other errors, and closes the
// server at the end of the test.
func StartRootedT(t testing.TB) *SSHD {
	t.Helper()
	s, err := StartRooted()
	if errors.Is(err, ErrUnavailable) && !Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// InRoot is the host path of a path inside a rooted server.
func (s *SSHD) InRoot(path string) string { return filepath.Join(s.Root, path) }

// buildRoot lays out the server's filesystem under s.Root.
func (s *SSHD) buildRoot() error {
	r := s.Root
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{
		{"bin", 0o755}, {"usr/local/bin", 0o755}, {"usr/local/sbin", 0o755}, {"etc/ssh", 0o755}, {"etc/systemd/system", 0o755},
		{"dev", 0o755}, {"proc", 0o555}, {"run/sshd", 0o755}, {"var/empty", 0o755}, {"var/log", 0o755}, {"var/lib", 0o755},
		{"tmp", 0o1777}, {"root", 0o700}, {"home/" + SudoUser, 0o755},
	} {
		if err := os.MkdirAll(filepath.Join(r, d.path), d.mode); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(r, d.path), d.mode); err != nil {
			return err
		}
	}
	if err := os.Chown(filepath.Join(r, "home", SudoUser), sudoUID, sudoUID); err != nil {
		return err
	}
	// One bin folder: /sbin, /usr/bin and /usr/sbin point at it.
	for _, l := range [][2]string{{"sbin", "bin"}, {"usr/bin", "../bin"}, {"usr/sbin", "../bin"}} {
		if err := os.Symlink(l[1], filepath.Join(r, l[0])); err != nil {
			return err
		}
	}
	if err := copyFile(Busybox, filepath.Join(r, "bin/busybox"), 0o755); err != nil {
		return err
	}
	applets, err := exec.Command(Busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	for _, a := range strings.Fields(string(applets)) {
		if a == "busybox" || a == "sudo" || a == "systemctl" || a == "sshd" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(r, "bin", a)); err != nil && !os.IsExist(err) {
			return err
		}
	}
	if err := copyFile(Sshd, filepath.Join(r, "bin/sshd"), 0o755); err != nil {
		return err
	}
	if err := copyLibraries(Sshd, r); err != nil {
		return err
	}
	for _, dev := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		p := filepath.Join(r, "dev", dev.name)
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, int(dev.major<<8|dev.minor)); err != nil {
			return fmt.Errorf("mknod %s: %w", p, err)
		}
		if err := os.Chmod(p, 0o666); err != nil {
			return err
		}
	}
	if err := s.makeKeys(filepath.Join(r, "etc/ssh/ssh_host_ed25519_key"), filepath.Join(r, "etc/ssh/authorized_keys")); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(r, "etc/ssh/authorized_keys"), 0o644); err != nil {
		return err
	}
	s.Password = "pw-" + strings.ToLower(rand.Text())
	s.SudoPassword = "sudo-" + strings.ToLower(rand.Text())
	hash, err := cryptPassword(s.Password)
	if err != nil {
		return err
	}
	// As with sudo, SudoUser's own password (its login) opens sudo.
	userHash, err := cryptPassword(s.SudoPassword)
	if err != nil {
		return err
	}
	u := SudoUser
	files := []struct {
		path, text string
		mode       os.FileMode
	}{
		{"etc/passwd", fmt.Sprintf("root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/bin/false\n%s:x:%d:%d:%s:/home/%s:/bin/sh\n", u, sudoUID, sudoUID, u, u), 0o644},
		{"etc/group", fmt.Sprintf("root:x:0:\nnogroup:x:65534:\n%s:x:%d:\n", u, sudoUID), 0o644},
		{"etc/shadow", fmt.Sprintf("root:%s:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n%s:%s:19000:0:99999:7:::\n", hash, u, userHash), 0o600},
		{"etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n", 0o644},
		{"etc/hosts", "127.0.0.1 localhost\n", 0o644},
		{"etc/shells", "/bin/sh\n", 0o644},
		{"etc/os-release", "NAME=\"sshtest\"\nID=sshtest\nPRETTY_NAME=\"sshtest rooted server\"\nVERSION_ID=\"1\"\n", 0o644},
		{"etc/sudo-password", s.SudoPassword + "\n", 0o600},
		{"etc/ssh/sshd_config", sshdConfig(s.Host, 22, "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/authorized_keys", "/run/sshd.pid"), 0o600},
		{"bin/systemctl", systemctlScript, 0o755},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(r, f.path), []byte(f.text), f.mode); err != nil {
			return err
		}
	}
	sudo := filepath.Join(r, "bin/sudo")
	build := exec.Command("go", "build", "-trimpath", "-o", sudo, "github.com/homelabcmd/homelabcmd/sshx/sshtest/fakesudo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("sshtest: building fakesudo: %v: %s", err, out)
	}
	return os.Chmod(sudo, 0o4755|os.ModeSetuid)
}

// copyLibraries copies the shared libraries ldd lists for bin (and the
// NSS module for local accounts) to the same paths under root.
func copyLibraries(bin, root string) error {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
			}
		}
	}
	if len(libs) > 0 {
		nss := filepath.Join(filepath.Dir(libs[0]), "libnss_files.so.2")
		if _, err := os.Stat(nss); err == nil {
			libs = append(libs, nss)
		}
	}
	for _, l := range libs {
		if err := copyFile(l, filepath.Join(root, l), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string, mode os.FileMode) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, mode)
}

// systemctlScript is the rooted server's stand-in for systemctl: the
// target's own shell (busybox sh inside the test root), not the hub's.
// It knows daemon-reload, enable/disable [--now], start, stop, restart,
// is-active and is-enabled for units in /etc/systemd/system.
const systemctlScript = `#!/bin/sh
# sshtest's stand-in for systemctl: there is no systemd in this root.
echo "systemctl $*" >> /var/log/systemctl.log
now=0
cmd=$1
shift
if [ "$1" = "--now" ]; then now=1; shift; fi
unit=$1
case "$unit" in ""|*.service) ;; *) unit=$unit.service ;; esac
dir=/etc/systemd/system
wants=$dir/multi-user.target.wants
pidf=/run/$unit.pid
running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
start() {
	running && return 0
	[ -f "$dir/$unit" ] || { echo "Unit $unit not found." >&2; exit 5; }
	line=$(sed -n 's/^ExecStart=//p' "$dir/$unit")
	setsid $line </dev/null >>"/var/log/$unit.log" 2>&1 &
	echo $! >"$pidf"
}
stop() {
	if running; then
		pid=$(cat "$pidf")
		kill "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$pidf"
}
case "$cmd" in
daemon-reload) ;;
enable) mkdir -p "$wants"; [ -f "$dir/$unit" ] || { echo "Unit $unit not found." >&2; exit 5; }; ln -sf "../$unit" "$wants/$unit"; [ $now = 1 ] && start ;;
disable) rm -f "$wants/$unit"; [ $now = 1 ] && stop ;;
start) start ;;
stop) stop ;;
restart) stop; start ;;
is-active) if running; then echo active; else echo inactive; exit 3; fi ;;
is-enabled) if [ -L "$wants/$unit" ]; then echo enabled; else echo disabled; exit 1; fi ;;
*) echo "systemctl stand-in: $cmd is not supported" >&2; exit 1 ;;
esac
exit 0
`
