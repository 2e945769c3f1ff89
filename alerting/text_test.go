package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// The texts come from the table of alert kinds; these are the exact
// strings the hub has always sent, which must not change.
func TestTexts(t *testing.T) {
	for _, c := range []struct {
		name string
		got  text
		want text
	}{
		{"down", downText("plex", "nas.lan", "failed"),
			text{"Service plex is failed on nas.lan", "Expected service plex on nas.lan is failed."}},
		{"failed restart", failedRestartText("plex", "nas.lan", "stopped", time.Minute),
			text{"Service plex failed to start after a restart on nas.lan", "Expected service plex on nas.lan failed to start after a restart: it is still stopped after the 1m0s grace period."}},
		{"missing", missingText("plex", "nas.lan", 3),
			text{"Service plex is not reported on nas.lan", "The agent on nas.lan has not reported expected service plex for 3 heartbeats in a row."}},
		{"offline", offlineText("nas.lan"), text{"Server offline: nas.lan", "Server nas.lan is not responding to heartbeats."}},
		{"cpu", metricText(homelabcmd.AlertCPU, homelabcmd.SeverityHigh, 91.4, 85, "nas.lan"),
			text{"High CPU usage on nas.lan", "CPU usage on nas.lan is 91%, at or above the 85% threshold."}},
		{"memory", metricText(homelabcmd.AlertMemory, homelabcmd.SeverityCritical, 95.5, 95, "nas.lan"),
			text{"Critical Memory usage on nas.lan", "Memory usage on nas.lan is 96%, at or above the 95% threshold."}},
		{"disk", metricText(homelabcmd.AlertDisk, homelabcmd.SeverityHigh, 80, 80, "{service}"),
			text{"High Disk usage on {service}", "Disk usage on {service} is 80%, at or above the 80% threshold."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got  %q\nwant %q", c.got, c.want)
			}
		})
	}
}

// Every metric kind has its rule field in Thresholds and ThresholdsPatch,
// and every such field belongs to a metric kind.
func TestThresholdFieldsMatchTable(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range metricKinds() {
		keys[k.ThresholdKey] = true
		if _, ok := thresholdFields[k.ThresholdKey]; !ok {
			t.Errorf("Thresholds has no MetricThreshold field with JSON key %q", k.ThresholdKey)
		}
		if _, ok := patchFields[k.ThresholdKey]; !ok {
			t.Errorf("ThresholdsPatch has no *MetricThresholdPatch field with JSON key %q", k.ThresholdKey)
		}
	}
	for _, fields := range []map[string]int{thresholdFields, patchFields} {
		for key := range fields {
			if !keys[key] {
				t.Errorf("field %q is no metric kind of the table", key)
			}
		}
	}
	d := DefaultThresholds()
	if d.CPU != (MetricThreshold{85, 95, 180, nil}) || d.Memory != (MetricThreshold{85, 95, 180, nil}) || d.Disk != (MetricThreshold{80, 95, 0, nil}) {
		t.Errorf("defaults %+v", d)
	}
}
