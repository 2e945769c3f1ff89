package promexport

import (
	"strings"
	"testing"
)

// The metric gauges come from the table of alert kinds; their names and
// help texts are what dashboards and recording rules already use.
func TestMetricGaugeNames(t *testing.T) {
	want := map[string]string{
		"cpu":    `fqName: "homelabcmd_server_cpu_percent", help: "Latest CPU use of a server."`,
		"memory": `fqName: "homelabcmd_server_memory_percent", help: "Latest memory use of a server."`,
		"disk":   `fqName: "homelabcmd_server_disk_percent", help: "Latest root disk use of a server."`,
	}
	got := metricGauges()
	if len(got) != len(want) {
		t.Fatalf("%d gauges, want %d", len(got), len(want))
	}
	for key, w := range want {
		if d := got[key]; d == nil || !strings.Contains(d.String(), w) {
			t.Errorf("%s: %v, want %s", key, d, w)
		}
	}
}
