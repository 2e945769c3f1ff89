// Package apttest builds a throwaway Debian package world for tests: its
// own dpkg database (--admindir) and install root (--instdir), a flat
// repository of .deb files built with dpkg-deb, and an apt configuration
// file (APT_CONFIG) pointing apt and dpkg at all of it, so that no hook of
// the machine's apt configuration runs and the machine's own packages are
// never read or changed. The updates tests and the e2e apply test share it.
package apttest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Package is the one package of the world: hello-fixture 1.0-1 installed,
// 2.0-1 in a repository labelled as a security one.
const (
	Package    = "hello-fixture"
	OldVersion = "1.0-1"
	NewVersion = "2.0-1"
)

// Root is a built world.
type Root struct {
	Dir string
	// Config is the apt configuration file (for APT_CONFIG or the agent's
	// apt_config option).
	Config string
	// RebootFile is where a test may note a needed reboot.
	RebootFile string
}

// New builds the world in a temporary folder, or skips the test when
// apt-get, dpkg or dpkg-deb is missing or it does not run as root (dpkg
// --instdir sets file ownership).
func New(t testing.TB) *Root {
	t.Helper()
	for _, tool := range []string{"apt-get", "dpkg", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("dpkg --instdir needs root to set file ownership")
	}
	dir := t.TempDir()
	for _, d := range []string{"lists/partial", "cache/archives/partial", "empty", "repo", "log", "admin/info", "admin/updates", "admin/triggers", "root", "build"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deb := func(version string) string {
		root := filepath.Join(dir, "build", Package+"-"+version)
		os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755)
		os.MkdirAll(filepath.Join(root, "usr/share/fixture"), 0o755)
		os.WriteFile(filepath.Join(root, "DEBIAN/control"), []byte("Package: "+Package+"\nVersion: "+version+"\nArchitecture: all\nMaintainer: T <t@example.invalid>\nDescription: fixture\n"), 0o644)
		os.WriteFile(filepath.Join(root, "usr/share/fixture", Package), []byte(Package+" "+version+"\n"), 0o644)
		out := filepath.Join(dir, "repo", Package+"_"+version+"_all.deb")
		if b, err := exec.Command("dpkg-deb", "-Zgzip", "--build", root, out).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb: %v: %s", err, b)
		}
		return out
	}
	dpkgOpts := []string{"--admindir=" + dir + "/admin", "--instdir=" + dir + "/root", "--force-not-root", "--force-script-chrootless", "--log=" + dir + "/log/dpkg.log"}
	old := deb(OldVersion)
	if b, err := exec.Command("dpkg", append(dpkgOpts, "-i", old)...).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v: %s", err, b)
	}
	os.Remove(old)
	newDeb := deb(NewVersion)
	b, _ := os.ReadFile(newDeb)
	sum := sha256.Sum256(b)
	os.WriteFile(filepath.Join(dir, "repo/Packages"), []byte(fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: T <t@example.invalid>\nFilename: ./%s\nSize: %d\nSHA256: %s\nDescription: fixture\n\n",
		Package, NewVersion, filepath.Base(newDeb), len(b), hex.EncodeToString(sum[:]))), 0o644)
	os.WriteFile(filepath.Join(dir, "repo/Release"), []byte("Origin: Fixture\nLabel: Fixture-Security\nSuite: stable-security\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sources.list"), []byte("deb [trusted=yes] file:"+dir+"/repo ./\n"), 0o644)
	var conf strings.Builder
	for _, kv := range [][2]string{
		{"Dir::Etc::Parts", dir + "/empty"}, {"Dir::Etc::Main", "/dev/null"},
		{"Dir::State", dir}, {"Dir::State::status", dir + "/admin/status"}, {"Dir::State::Lists", dir + "/lists"},
		{"Dir::Cache", dir + "/cache"}, {"Dir::Etc::SourceList", dir + "/sources.list"}, {"Dir::Etc::SourceParts", dir + "/empty"},
		{"Dir::Etc::Preferences", "/dev/null"}, {"Dir::Etc::PreferencesParts", dir + "/empty"}, {"Dir::Log", dir + "/log"},
		{"APT::Sandbox::User", "root"}, {"Debug::NoLocking", "1"},
	} {
		fmt.Fprintf(&conf, "%s %q;\n", kv[0], kv[1])
	}
	conf.WriteString("DPkg::Options {")
	for _, o := range dpkgOpts {
		fmt.Fprintf(&conf, " %q;", o)
	}
	conf.WriteString(" };\n")
	r := &Root{Dir: dir, Config: filepath.Join(dir, "apt.conf"), RebootFile: filepath.Join(dir, "reboot-required")}
	if err := os.WriteFile(r.Config, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The package lists, as the machine's apt timers would fetch them.
	cmd := exec.Command("apt-get", "-q", "update")
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "APT_CONFIG=" + r.Config}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apt-get update: %v: %s", err, b)
	}
	return r
}

// Installed is the version of the package file in the install root.
func (r *Root) Installed() string {
	b, _ := os.ReadFile(filepath.Join(r.Dir, "root/usr/share/fixture", Package))
	return strings.TrimSpace(strings.TrimPrefix(string(b), Package+" "))
}
