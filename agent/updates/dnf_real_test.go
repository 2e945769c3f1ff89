package updates

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// dnfRoot builds a throwaway rpm world with the real dnf, rpm, rpmbuild
// and createrepo_c that scripts/dnf-tree unpacked (HOMELAB_TEST_DNF_TREE;
// Debian's dnf, never installed on the machine): an installroot with
// hello-fixture 1.0-1 installed, a local repository with 2.0-1 and an
// updateinfo marking it a security update, and dnf options that keep its
// configuration, cache and logs inside the test's folder.
func dnfRoot(t *testing.T) (*Dnf, string) {
	tree := os.Getenv("HOMELAB_TEST_DNF_TREE")
	if tree == "" {
		if os.Getenv("HOMELAB_TEST_REQUIRE_DNF") != "" {
			t.Fatal("HOMELAB_TEST_DNF_TREE is not set (scripts/dnf-tree)")
		}
		t.Skip("HOMELAB_TEST_DNF_TREE not set: run scripts/dnf-tree DIR and point it at DIR/root")
	}
	if os.Geteuid() != 0 {
		t.Skip("rpm --root needs root")
	}
	dir := t.TempDir()
	for _, d := range []string{"top/SPECS", "repo", "ir", "conf/repos", "cache", "log", "persist"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	env := []string{"LD_LIBRARY_PATH=" + tree + "/usr/lib/x86_64-linux-gnu", "PYTHONPATH=" + tree + "/usr/lib/python3/dist-packages",
		"RPM_CONFIGDIR=" + tree + "/usr/lib/rpm", "PATH=" + tree + "/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	tool := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(tree, "usr/bin", name), args...)
		cmd.Env = append([]string{"LC_ALL=C"}, env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
	}
	for _, v := range []string{"1.0", "2.0"} {
		spec := filepath.Join(dir, "top/SPECS", "hello-"+v+".spec")
		os.WriteFile(spec, []byte("Name: hello-fixture\nVersion: "+v+"\nRelease: 1\nSummary: fixture\nLicense: MIT\nBuildArch: noarch\n"+
			"%description\nfixture\n%install\nmkdir -p %{buildroot}/usr/share/fixture\necho \"hello-fixture "+v+"-1\" > %{buildroot}/usr/share/fixture/hello-fixture\n"+
			"%files\n/usr/share/fixture/hello-fixture\n"), 0o644)
		tool("rpmbuild", "--define", "_topdir "+dir+"/top", "--define", "__os_install_post %{nil}", "-bb", spec)
	}
	rpms := filepath.Join(dir, "top/RPMS/noarch")
	tool("rpm", "--root", dir+"/ir", "--nodeps", "-i", filepath.Join(rpms, "hello-fixture-1.0-1.noarch.rpm"))
	os.Rename(filepath.Join(rpms, "hello-fixture-2.0-1.noarch.rpm"), filepath.Join(dir, "repo/hello-fixture-2.0-1.noarch.rpm"))
	tool("createrepo_c", "-q", dir+"/repo")
	os.WriteFile(filepath.Join(dir, "updateinfo.xml"), []byte(`<?xml version="1.0" encoding="UTF-8"?>
<updates><update from="fixture@example.invalid" status="stable" type="security" version="1">
<id>FIXTURE-2026-0001</id><title>hello-fixture security update</title><severity>Important</severity>
<issued date="2026-11-01 00:00:00"/><description>fixture</description>
<pkglist><collection short="fixture"><name>fixture</name>
<package name="hello-fixture" version="2.0" release="1" epoch="0" arch="noarch"><filename>hello-fixture-2.0-1.noarch.rpm</filename></package>
</collection></pkglist></update></updates>
`), 0o644)
	tool("modifyrepo_c", "--mdtype=updateinfo", dir+"/updateinfo.xml", dir+"/repo/repodata")
	os.WriteFile(filepath.Join(dir, "conf/dnf.conf"), []byte("[main]\ngpgcheck=0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "conf/repos/fixture.repo"), []byte("[fixture]\nname=fixture\nbaseurl=file://"+dir+"/repo\ngpgcheck=0\nenabled=1\n"), 0o644)
	d := &Dnf{Bin: filepath.Join(tree, "usr/bin/dnf"), RPM: filepath.Join(tree, "usr/bin/rpm"), Env: env,
		RPMOptions: []string{"--root", dir + "/ir"},
		Options: []string{"--config", dir + "/conf/dnf.conf", "--installroot", dir + "/ir", "--releasever", "1",
			"--setopt=reposdir=" + dir + "/conf/repos", "--setopt=cachedir=" + dir + "/cache", "--setopt=logdir=" + dir + "/log",
			"--setopt=persistdir=" + dir + "/persist"}}
	// The metadata cache, as the machine's dnf-makecache timer would fill it.
	if _, _, err := run(t.Context(), nil, d.Env, d.Bin, d.dnf("-q", "makecache")...); err != nil {
		t.Fatal(err)
	}
	return d, dir
}

// The dnf collector against the real dnf (Debian's) in a throwaway
// installroot: the update is listed with its installed version and the
// security flag from updateinfo; applying installs it; then nothing is
// left.
func TestDnfReal(t *testing.T) {
	d, dir := dnfRoot(t)
	list, cpu, err := d.List(t.Context())
	want := []homelabcmd.Package{{Name: "hello-fixture", CurrentVersion: "1.0-1", NewVersion: "2.0-1", Repository: "fixture", IsSecurity: true}}
	if err != nil || len(list) != 1 || list[0] != want[0] {
		t.Fatalf("list %+v, %v; want %+v", list, err, want)
	}
	t.Logf("dnf check: %v CPU", cpu)
	out, reboot, err := d.Apply(t.Context())
	if err != nil || !strings.Contains(out, "hello-fixture-2.0-1") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	// The tree has no dnf-plugins-core: needs-restarting is an unknown
	// command (exit 1 too), which must not read as "reboot needed".
	if reboot != nil {
		t.Fatalf("reboot_required %v without needs-restarting", *reboot)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ir/usr/share/fixture/hello-fixture")); string(b) != "hello-fixture 2.0-1\n" {
		t.Fatalf("installed file %q", b)
	}
	if list, _, err := d.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("after: %+v %v", list, err)
	}
}
