package updates

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Dnf lists upgrades with dnf from its metadata cache (-C: no download;
// the system's dnf-makecache timer refreshes it), security ones from
// updateinfo, and the installed versions from rpm.
type Dnf struct {
	Bin, RPM string
	// Options go before dnf's command and RPMOptions before rpm's (tests
	// point both at a throwaway installroot with them: --installroot,
	// --config, --setopt; --root). Env is extra environment.
	Options, RPMOptions, Env []string
}

// dnf is d.Options followed by args.
func (d *Dnf) dnf(args ...string) []string { return append(append([]string{}, d.Options...), args...) }

// Name implements Source.
func (d *Dnf) Name() string { return "dnf" }

// Stamps implements Source: the rpm database and dnf's cache.
func (d *Dnf) Stamps() []string {
	return []string{"/var/lib/rpm", "/usr/lib/sysimage/rpm", "/var/cache/dnf"}
}

// List implements Source.
func (d *Dnf) List(ctx context.Context) ([]homelabcmd.Package, time.Duration, error) {
	// check-update exits 100 when updates are available.
	out, cpu, err := run(ctx, []int{100}, d.Env, d.Bin, d.dnf("-q", "-C", "check-update")...)
	if err != nil {
		return nil, cpu, err
	}
	ups := ParseDnfCheckUpdate(out)
	if len(ups) == 0 {
		return []homelabcmd.Package{}, cpu, nil
	}
	sec, c2, err := run(ctx, nil, d.Env, d.Bin, d.dnf("-q", "-C", "updateinfo", "list", "--security", "--updates")...)
	cpu += c2
	if err != nil {
		return nil, cpu, err
	}
	args := append(append([]string{}, d.RPMOptions...), "-q", "--qf", "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\n")
	for _, u := range ups {
		args = append(args, u.Name)
	}
	cur, c3, err := run(ctx, []int{1}, d.Env, d.RPM, args...) // 1: one name is not installed
	cpu += c3
	if err != nil {
		return nil, cpu, err
	}
	return MergeDnf(ups, ParseDnfSecurity(sec), ParseRPMQuery(cur)), cpu, nil
}

// DnfUpdate is one line of dnf check-update.
type DnfUpdate struct {
	Name, Version, Repository string
}

// ParseDnfCheckUpdate reads "name.arch  version  repository" lines,
// stopping at "Obsoleting Packages".
func ParseDnfCheckUpdate(out []byte) []DnfUpdate {
	var list []DnfUpdate
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Obsoleting") {
			break
		}
		f := strings.Fields(line)
		if len(f) != 3 || strings.HasPrefix(line, " ") {
			continue
		}
		i := strings.LastIndex(f[0], ".")
		if i <= 0 {
			continue
		}
		list = append(list, DnfUpdate{Name: f[0][:i], Version: f[1], Repository: f[2]})
	}
	return list
}

// ParseDnfSecurity reads "ADVISORY  severity/Sec.  name-version-release.arch"
// lines of dnf updateinfo list --security and returns the package names.
func ParseDnfSecurity(out []byte) map[string]bool {
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		nevra := f[len(f)-1]
		if i := strings.LastIndex(nevra, "."); i > 0 { // arch
			nevra = nevra[:i]
		}
		// name-version-release: the name is before the last two dashes.
		for range 2 {
			if i := strings.LastIndex(nevra, "-"); i > 0 {
				nevra = nevra[:i]
			}
		}
		names[nevra] = true
	}
	return names
}

// ParseRPMQuery reads "name epoch:version-release" lines.
func ParseRPMQuery(out []byte) map[string]string {
	cur := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			cur[f[0]] = strings.TrimPrefix(f[1], "0:")
		}
	}
	return cur
}

// MergeDnf joins the three outputs; an update whose installed version is
// unknown is skipped.
func MergeDnf(ups []DnfUpdate, security map[string]bool, current map[string]string) []homelabcmd.Package {
	list := []homelabcmd.Package{}
	for _, u := range ups {
		cur, ok := current[u.Name]
		if !ok {
			continue
		}
		list = append(list, homelabcmd.Package{Name: u.Name, CurrentVersion: cur, NewVersion: strings.TrimPrefix(u.Version, "0:"),
			Repository: u.Repository, IsSecurity: security[u.Name]})
	}
	return list
}

// Apply installs every pending update with dnf upgrade; a needed reboot is
// what dnf needs-restarting -r says (exit 1), nil when it cannot tell (no
// dnf-plugins-core).
func (d *Dnf) Apply(ctx context.Context) (string, *bool, error) {
	out, err := runCombined(ctx, d.Env, d.Bin, d.dnf("-y", "-q", "upgrade")...)
	if err != nil {
		return out, nil, err
	}
	var reboot *bool
	if _, _, rerr := run(ctx, nil, d.Env, d.Bin, d.dnf("-q", "needs-restarting", "-r")...); rerr == nil {
		reboot = new(bool)
	} else if strings.Contains(rerr.Error(), "exit status 1") && !strings.Contains(rerr.Error(), "No such command") {
		// Exit 1 is "reboot needed", unless dnf-plugins-core is missing
		// (dnf exits 1 for an unknown command too): then nil, unknown.
		reboot = new(bool)
		*reboot = true
	}
	return out, reboot, nil
}
