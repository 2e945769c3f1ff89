package updates

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

// applyRoot is a throwaway Debian package world: its own dpkg database
// (--admindir) and install root (--instdir), a flat repository of .deb
// files built here with dpkg-deb, and apt pointed at all of it with
// APT_CONFIG (so no hook of the machine's apt configuration runs). The
// machine's own packages are never read or changed.
func applyRoot(t *testing.T) (*Apt, string) {
	bin, err := exec.LookPath("apt-get")
	if err != nil {
		t.Skip("apt-get not installed")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"lists/partial", "cache/archives/partial", "empty", "repo", "log", "admin/info", "admin/updates", "admin/triggers", "root", "build"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deb := func(name, version string) string {
		root := filepath.Join(dir, "build", name+"-"+version)
		os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755)
		os.MkdirAll(filepath.Join(root, "usr/share/fixture"), 0o755)
		os.WriteFile(filepath.Join(root, "DEBIAN/control"), []byte("Package: "+name+"\nVersion: "+version+"\nArchitecture: all\nMaintainer: T <t@example.invalid>\nDescription: fixture\n"), 0o644)
		os.WriteFile(filepath.Join(root, "usr/share/fixture", name), []byte(name+" "+version+"\n"), 0o644)
		out := filepath.Join(dir, "repo", name+"_"+version+"_all.deb")
		if b, err := exec.Command("dpkg-deb", "-Zgzip", "--build", root, out).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb: %v: %s", err, b)
		}
		return out
	}
	dpkgOpts := []string{"--admindir=" + dir + "/admin", "--instdir=" + dir + "/root", "--force-not-root", "--force-script-chrootless", "--log=" + dir + "/log/dpkg.log"}
	old := deb("hello-fixture", "1.0-1")
	if b, err := exec.Command("dpkg", append(dpkgOpts, "-i", old)...).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v: %s", err, b)
	}
	os.Remove(old)
	newDeb := deb("hello-fixture", "2.0-1")
	b, _ := os.ReadFile(newDeb)
	sum := sha256.Sum256(b)
	os.WriteFile(filepath.Join(dir, "repo/Packages"), []byte(fmt.Sprintf("Package: hello-fixture\nVersion: 2.0-1\nArchitecture: all\nMaintainer: T <t@example.invalid>\nFilename: ./%s\nSize: %d\nSHA256: %s\nDescription: fixture\n\n",
		filepath.Base(newDeb), len(b), hex.EncodeToString(sum[:]))), 0o644)
	os.WriteFile(filepath.Join(dir, "repo/Release"), []byte("Origin: Fixture\nLabel: Fixture-Security\nSuite: stable-security\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sources.list"), []byte("deb [trusted=yes] file:"+dir+"/repo ./\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "apt.conf"), []byte("Dir::Etc::Parts \""+dir+"/empty\";\nDir::Etc::Main \"/dev/null\";\n"), 0o644)
	a := &Apt{Bin: bin, Env: []string{"APT_CONFIG=" + dir + "/apt.conf"}, RebootFile: filepath.Join(dir, "reboot-required"),
		StampFiles: []string{dir + "/admin/status"}, Options: []string{
			"-o", "Dir::State=" + dir, "-o", "Dir::State::status=" + dir + "/admin/status", "-o", "Dir::State::Lists=" + dir + "/lists",
			"-o", "Dir::Cache=" + dir + "/cache", "-o", "Dir::Etc::SourceList=" + dir + "/sources.list", "-o", "Dir::Etc::SourceParts=" + dir + "/empty",
			"-o", "Dir::Etc::Preferences=/dev/null", "-o", "Dir::Etc::PreferencesParts=" + dir + "/empty", "-o", "Dir::Log=" + dir + "/log",
			"-o", "APT::Sandbox::User=root", "-o", "Debug::NoLocking=1",
		}}
	for _, o := range dpkgOpts {
		a.Options = append(a.Options, "-o", "DPkg::Options::="+o)
	}
	if _, _, err := run(t.Context(), nil, a.Env, bin, append(append([]string{}, a.Options...), "-q", "update")...); err != nil {
		t.Fatal(err)
	}
	return a, dir
}

// Applying updates for real: apt-get dist-upgrade installs the new
// version into the throwaway root; the list is then empty; the reboot
// flag follows the reboot-required file.
func TestAptApplyReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dpkg --instdir needs root to set file ownership")
	}
	a, dir := applyRoot(t)
	list, _, err := a.List(t.Context())
	if err != nil || len(list) != 1 || list[0].Name != "hello-fixture" || list[0].NewVersion != "2.0-1" || !list[0].IsSecurity {
		t.Fatalf("before: %+v %v", list, err)
	}
	out, reboot, err := a.Apply(t.Context())
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Setting up hello-fixture (2.0-1)") || reboot == nil || *reboot {
		t.Fatalf("apply output %q reboot %v", out, reboot)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "root/usr/share/fixture/hello-fixture")); string(b) != "hello-fixture 2.0-1\n" {
		t.Fatalf("installed file %q", b)
	}
	if list, _, err := a.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("after: %+v %v", list, err)
	}
	os.WriteFile(a.RebootFile, nil, 0o644)
	if _, reboot, err := a.Apply(t.Context()); err != nil || reboot == nil || !*reboot {
		t.Fatalf("reboot-required not reported: %v %v", reboot, err)
	}
}
