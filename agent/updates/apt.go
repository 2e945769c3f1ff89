package updates

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

var lookPath = exec.LookPath

// Apt lists upgrades with apt-get's simulation of dist-upgrade: it reads
// the package lists apt already has (the system's apt timers refresh
// them) and changes nothing.
type Apt struct {
	Bin string
	// Options are extra -o settings before the fixed arguments (tests
	// point apt at a throwaway root with them).
	Options []string
	// StampFiles override the default /var/lib/dpkg/status and
	// /var/lib/apt/lists.
	StampFiles []string
	// RebootFile is where Debian notes a needed reboot
	// ("": /var/run/reboot-required).
	RebootFile string
	// Env is extra environment (tests: APT_CONFIG, so that no hook of
	// the machine's apt configuration runs).
	Env []string
}

// Name implements Source.
func (a *Apt) Name() string { return "apt" }

// Stamps implements Source: the dpkg database and the package lists.
func (a *Apt) Stamps() []string {
	if a.StampFiles != nil {
		return a.StampFiles
	}
	return []string{"/var/lib/dpkg/status", "/var/lib/apt/lists"}
}

// List implements Source.
func (a *Apt) List(ctx context.Context) ([]homelabcmd.Package, time.Duration, error) {
	args := append([]string{}, a.Options...)
	args = append(args, "-s", "-q", "-o", "Debug::NoLocking=1", "-o", "APT::Get::Show-User-Simulation-Note=false", "dist-upgrade")
	out, cpu, err := run(ctx, nil, a.Env, a.Bin, args...)
	if err != nil {
		return nil, cpu, err
	}
	return ParseAptSimulation(out), cpu, nil
}

// run executes bin with args (no shell) in the C locale and returns its
// stdout and the CPU time it took.
func run(ctx context.Context, okCodes []int, env []string, bin string, args ...string) ([]byte, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &limited{b: &stderr, n: 4096}
	err := cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		for _, c := range okCodes {
			if cmd.ProcessState.ExitCode() == c {
				err = nil
			}
		}
	}
	if err != nil {
		return nil, cpu, fmt.Errorf("%s: %w: %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), cpu, nil
}

type limited struct {
	b *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// ParseAptSimulation reads the "Inst" lines of apt-get -s:
//
//	Inst openssl [3.0.13-1~deb12u1] (3.0.14-1~deb12u1 Debian-Security:12/stable-security [amd64])
//
// A package newly installed (no [current] version) is not an update and
// is skipped. Security: a source whose label or suite names "security".
func ParseAptSimulation(out []byte) []homelabcmd.Package {
	var list []homelabcmd.Package
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "Inst ")
		if !ok {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(rest, "[") {
			continue
		}
		cur, rest, ok := strings.Cut(rest[1:], "] (")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, ")")
		if i := strings.LastIndex(rest, " ["); i >= 0 { // the architecture
			rest = rest[:i]
		}
		ver, repos, _ := strings.Cut(rest, " ")
		if name == "" || cur == "" || ver == "" {
			continue
		}
		if repos == "" {
			repos = "unknown"
		}
		list = append(list, homelabcmd.Package{Name: name, CurrentVersion: cur, NewVersion: ver, Repository: repos,
			IsSecurity: strings.Contains(strings.ToLower(repos), "security")})
	}
	return list
}

// MaxOutput bounds the output of applying updates kept for the hub (its
// tail, where apt reports errors and the summary).
const MaxOutput = 10000

// Apply installs every pending update: apt-get dist-upgrade, non-
// interactive, keeping changed configuration files (--force-confold). It
// returns the output's tail and whether the machine needs a reboot
// (RebootFile exists afterwards).
func (a *Apt) Apply(ctx context.Context) (string, *bool, error) {
	args := append([]string{}, a.Options...)
	args = append(args, "-q", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "dist-upgrade")
	out, err := runCombined(ctx, append([]string{"DEBIAN_FRONTEND=noninteractive"}, a.Env...), a.Bin, args...)
	reboot := false
	f := a.RebootFile
	if f == "" {
		f = "/var/run/reboot-required"
	}
	if _, serr := os.Stat(f); serr == nil {
		reboot = true
	}
	return out, &reboot, err
}

// runCombined runs bin with args (no shell) in the C locale with extra
// environment and returns the tail of its combined output.
func runCombined(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s: %w", bin, err)
	}
	return out.String(), err
}

// tail keeps the last MaxOutput bytes written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*MaxOutput {
		t.b = append(t.b[:0], t.b[len(t.b)-MaxOutput:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	if len(t.b) > MaxOutput {
		return string(t.b[len(t.b)-MaxOutput:])
	}
	return string(t.b)
}
