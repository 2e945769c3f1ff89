package updates

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/agent/updates/apttest"
)

// Applying updates for real, in a throwaway package world (apttest):
// apt-get dist-upgrade installs the new version into it; the list is then
// empty; the reboot flag follows the reboot-required file.
func TestAptApplyReal(t *testing.T) {
	r := apttest.New(t)
	bin, _ := exec.LookPath("apt-get")
	a := &Apt{Bin: bin, Env: []string{"APT_CONFIG=" + r.Config}, RebootFile: r.RebootFile}
	list, _, err := a.List(t.Context())
	if err != nil || len(list) != 1 || list[0].Name != apttest.Package || list[0].NewVersion != apttest.NewVersion || !list[0].IsSecurity {
		t.Fatalf("before: %+v %v", list, err)
	}
	out, reboot, err := a.Apply(t.Context())
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Setting up hello-fixture (2.0-1)") || reboot == nil || *reboot {
		t.Fatalf("apply output %q reboot %v", out, reboot)
	}
	if v := r.Installed(); v != apttest.NewVersion {
		t.Fatalf("installed version %q", v)
	}
	if list, _, err := a.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("after: %+v %v", list, err)
	}
	os.WriteFile(a.RebootFile, nil, 0o644)
	if _, reboot, err := a.Apply(t.Context()); err != nil || reboot == nil || !*reboot {
		t.Fatalf("reboot-required not reported: %v %v", reboot, err)
	}
}
