package e2e

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// `homelabcmd loadgen` against two hubs sharing one PostgreSQL, with every
// part scripts/bench --fleet and --multihub use: the agents' command
// long-poll, dashboards on the event stream, the hubs' /proc sampling and
// the duplicate-notification check. A small, short run: it checks that the
// tool counts right (no errors, one delivery per alert transition), not
// how fast anything is.
func TestLoadgenTwoHubsOnePostgres(t *testing.T) {
	t.Parallel()
	env := alertHubEnv(storetest.NewURL(t, "postgres"))
	hubs := []*Hub{StartHub(t, t.TempDir(), env), StartHub(t, t.TempDir(), env)}
	out, err := exec.Command(binary, "loadgen", "--api-key", testAPIKey,
		"--hub", hubs[0].URL+","+hubs[1].URL,
		"--hub-pid", fmt.Sprintf("%d,%d", hubs[0].cmd.Process.Pid, hubs[1].cmd.Process.Pid),
		"--servers", "40", "--services", "6", "--interval", "1s", "--duration", "12s",
		"--command-line", "--dashboards", "4", "--alerting", "10").CombinedOutput()
	t.Logf("loadgen:\n%s", out)
	if err != nil {
		t.Fatalf("loadgen: %v", err)
	}
	num := func(re string) []int {
		t.Helper()
		m := regexp.MustCompile(re).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no %q in the report", re)
		}
		var n []int
		for _, s := range m[1:] {
			v, _ := strconv.Atoi(string(s))
			n = append(n, v)
		}
		return n
	}
	if n := num(`heartbeats: (\d+) sent, (\d+) errors`); n[0] == 0 || n[1] != 0 {
		t.Errorf("heartbeats: %d sent, %d errors; want some, none failed", n[0], n[1])
	}
	if n := num(`command long-polls: \d+ answered, (\d+) errors`); n[0] != 0 {
		t.Errorf("%d long-poll errors", n[0])
	}
	if n := num(`dashboards: 4, (\d+) streams opened, (\d+) reconnects, (\d+) errors; (\d+) events received`); n[0] != 4 || n[1] != 0 || n[2] != 0 || n[3] == 0 {
		t.Errorf("dashboards: %d streams, %d reconnects, %d errors, %d events; want 4, 0, 0, some", n[0], n[1], n[2], n[3])
	}
	if len(regexp.MustCompile(`hub pid \d+: CPU [0-9.]+ % of a core, RSS peak [0-9.]+ MB`).FindAll(out, -1)) != 2 {
		t.Error("want CPU and RSS of both hubs")
	}
	n := num(`→ (\d+) notifications expected; webhook: (\d+) deliveries, (\d+) distinct, (\d+) duplicates`)
	if n[0] == 0 || n[1] != n[0] || n[2] != n[0] || n[3] != 0 {
		t.Errorf("%d notifications expected; %d delivered, %d distinct, %d duplicates", n[0], n[1], n[2], n[3])
	}
}
