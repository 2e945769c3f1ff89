// Package sshtest runs a real OpenSSH server (Debian's openssh-server) in a
// network namespace the test creates, for tests of the hub's SSH client:
// one veth end with a /30 in the root namespace, the other (and sshd) in the
// test's own namespace. Everything is removed by Close.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHD is a running sshd inside a test network namespace.
type SSHD struct {
	NS     string // network namespace name
	Host   string // sshd's address inside the namespace (10.213.N.2)
	Port   int
	Subnet string // the veth pair's /30, the only range tests may sweep
	// HostSide is the root namespace's end of the pair (10.213.N.1): a
	// hub under test listening there is reachable from inside.
	HostSide string
	User     string // root
	Password string // root's password inside the namespace only
	// ClientKey is a PEM private key sshd accepts.
	ClientKey []byte
	// HostKey is sshd's public host key.
	HostKey ssh.PublicKey
	// Root is the server's own filesystem (StartRooted only), and
	// SudoPassword SudoUser's password there, for its login and for sudo.
	Root         string
	SudoPassword string

	dir     string
	guest   bool // runs in another SSHD's namespace (StartBehind): Close leaves it
	hostIf  string
	etcDir  string
	cmd     *exec.Cmd
	stopped chan struct{}
}

// ErrUnavailable says the machine cannot run the server (not root, no ip
// or no sshd); tests skip on it unless HOMELAB_TEST_REQUIRE_NETNS=1.
var ErrUnavailable = errors.New("sshtest: needs root, ip(8) and /usr/sbin/sshd (Debian openssh-server)")

// Sshd is the server binary (sshd re-executes itself, so an absolute path).
const Sshd = "/usr/sbin/sshd"

// Required reports whether a missing server must fail the tests.
func Required() bool { return os.Getenv("HOMELAB_TEST_REQUIRE_NETNS") == "1" }

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Start creates a namespace (the first free hlt-sshN), a veth pair and
// starts sshd listening on port 22 inside it.
func Start() (*SSHD, error) {
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
	if err := s.writeFiles(); err != nil {
		return nil, err
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	if err := s.launch(exec.Command("ip", "netns", "exec", s.NS, Sshd, "-D", "-e", "-f", filepath.Join(s.dir, "sshd_config"))); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// newNamespace makes the namespace, the veth pair and the temp folder;
// the caller Closes the SSHD on a later failure.
func newNamespace() (*SSHD, error) {
	if os.Geteuid() != 0 {
		return nil, ErrUnavailable
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, ErrUnavailable
	}
	if _, err := os.Stat(Sshd); err != nil {
		return nil, ErrUnavailable
	}
	s := &SSHD{Port: 22, User: "root", stopped: make(chan struct{})}
	var n int
	for n = 1; n < 250; n++ {
		name := fmt.Sprintf("hlt-ssh%d", n)
		// The name is the lock: a second test process picks the next one.
		if exec.Command("ip", "netns", "add", name).Run() == nil {
			s.NS = name
			break
		}
	}
	if s.NS == "" {
		return nil, errors.New("sshtest: no free namespace name")
	}
	s.hostIf = fmt.Sprintf("hlt%dh", n)
	peer := fmt.Sprintf("hlt%dn", n)
	s.Host = fmt.Sprintf("10.213.%d.2", n)
	s.HostSide = fmt.Sprintf("10.213.%d.1", n)
	s.Subnet = fmt.Sprintf("10.213.%d.0/30", n)
	_ = exec.Command("ip", "link", "del", s.hostIf).Run() // a stale one from a killed run
	for _, c := range [][]string{
		{"ip", "link", "add", s.hostIf, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", peer, "netns", s.NS},
		{"ip", "addr", "add", s.HostSide + "/30", "dev", s.hostIf},
		{"ip", "link", "set", s.hostIf, "up"},
		{"ip", "netns", "exec", s.NS, "ip", "addr", "add", s.Host + "/30", "dev", peer},
		{"ip", "netns", "exec", s.NS, "ip", "link", "set", peer, "up"},
		{"ip", "netns", "exec", s.NS, "ip", "link", "set", "lo", "up"},
	} {
		if err := run(c...); err != nil {
			s.Close()
			return nil, err
		}
	}
	var err error
	if s.dir, err = os.MkdirTemp("", "sshtest-"); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// launch starts cmd (sshd in the namespace, in the foreground) and waits
// until it accepts connections.
func (s *SSHD) launch(cmd *exec.Cmd) error {
	return s.launchUntil(cmd, func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, "22"), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// launchUntil starts cmd and waits until ready says the server is up.
func (s *SSHD) launchUntil(cmd *exec.Cmd, ready func() error) error {
	s.cmd = cmd
	logf, err := os.Create(filepath.Join(s.dir, "sshd.log"))
	if err != nil {
		return err
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func() { _ = s.cmd.Wait(); logf.Close(); close(s.stopped) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-s.stopped:
			log, _ := os.ReadFile(filepath.Join(s.dir, "sshd.log"))
			return fmt.Errorf("sshtest: sshd exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshtest: sshd not reachable: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeFiles makes the host and client keys, sshd_config and, under
// /etc/netns/<ns> (which ip netns exec mounts over /etc for sshd only), a
// shadow file giving root a test password.
func (s *SSHD) writeFiles() error {
	hostKey := filepath.Join(s.dir, "host_ed25519")
	if err := s.makeKeys(hostKey, filepath.Join(s.dir, "authorized_keys")); err != nil {
		return err
	}
	s.Password = "pw-" + strings.ToLower(rand.Text())
	hash, err := cryptPassword(s.Password)
	if err != nil {
		return err
	}
	shadow, err := os.ReadFile("/etc/shadow")
	if err != nil {
		return err
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(shadow), "\n"), "\n") {
		if f := strings.Split(l, ":"); f[0] == "root" && len(f) > 2 {
			f[1] = hash
			l = strings.Join(f, ":")
		}
		lines = append(lines, l)
	}
	s.etcDir = filepath.Join("/etc/netns", s.NS)
	if err := os.MkdirAll(s.etcDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.etcDir, "shadow"), []byte(strings.Join(lines, "\n")+"\n"), 0o640); err != nil {
		return err
	}
	// root's home is an empty folder of the test: the login shell then
	// reads none of the machine's dotfiles (a ~/.bashrc that runs, say,
	// pyenv can wait a minute on a lock a killed command left behind).
	home := filepath.Join(s.dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return err
	}
	lines = lines[:0]
	for _, l := range strings.Split(strings.TrimRight(string(passwd), "\n"), "\n") {
		if f := strings.Split(l, ":"); f[0] == "root" && len(f) == 7 {
			f[5] = home
			l = strings.Join(f, ":")
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(filepath.Join(s.etcDir, "passwd"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	cfg := sshdConfig(s.Host, 22, hostKey, filepath.Join(s.dir, "authorized_keys"), filepath.Join(s.dir, "sshd.pid"))
	return os.WriteFile(filepath.Join(s.dir, "sshd_config"), []byte(cfg), 0o600)
}

// makeKeys writes sshd's host key at hostKey and a client key pair: the
// private half in s.ClientKey, the public one in authorizedKeys.
func (s *SSHD) makeKeys(hostKey, authorizedKeys string) error {
	if err := run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey); err != nil {
		return err
	}
	pubText, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		return err
	}
	if s.HostKey, _, _, _, err = ssh.ParseAuthorizedKey(pubText); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshtest")
	if err != nil {
		return err
	}
	s.ClientKey = pem.EncodeToMemory(block)
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	return os.WriteFile(authorizedKeys, ssh.MarshalAuthorizedKey(sshPub), 0o600)
}

// sshdConfig is the test servers' sshd_config: keys and passwords (root
// too), no PAM, quiet.
func sshdConfig(listen string, port int, hostKey, authorizedKeys, pidFile string) string {
	return fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %s
AuthorizedKeysFile %s
PidFile %s
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
MaxStartups 50
LogLevel ERROR
`, port, listen, hostKey, authorizedKeys, pidFile)
}

// cryptPassword is a SHA-512 crypt hash for a shadow file.
func cryptPassword(pw string) (string, error) {
	hash, err := exec.Command("openssl", "passwd", "-6", pw).Output()
	if err != nil {
		return "", fmt.Errorf("openssl passwd: %w", err)
	}
	return strings.TrimSpace(string(hash)), nil
}

// Close stops sshd and removes the namespace, the veth pair and the files.
func (s *SSHD) Close() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill() // ip netns exec execs sshd: this is sshd
		select {
		case <-s.stopped:
		case <-time.After(5 * time.Second):
		}
	}
	if s.guest {
		if s.dir != "" {
			_ = os.RemoveAll(s.dir)
		}
		return
	}
	if s.NS != "" {
		// What the server started (an agent installed into a rooted
		// server) lives on in the namespace: end it too.
		if out, err := exec.Command("ip", "netns", "pids", s.NS).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	}
	if s.hostIf != "" {
		_ = exec.Command("ip", "link", "del", s.hostIf).Run()
	}
	if s.NS != "" {
		_ = exec.Command("ip", "netns", "del", s.NS).Run()
	}
	if s.etcDir != "" {
		_ = os.RemoveAll(s.etcDir)
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}
