package homelabcmd_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// The stored alert_type values; changing one orphans stored alerts.
func TestAlertKindNamesAreStable(t *testing.T) {
	if got, want := homelabcmd.AlertKindNames(), []string{"service", "offline", "cpu", "memory", "disk", "reboot", "replayed", "unit", "systemd", "crashloop", "drift", "check", "container", "container_loop", "security_updates"}; !slices.Equal(got, want) {
		t.Fatalf("AlertKindNames() = %v, want %v", got, want)
	}
	if got, want := homelabcmd.MetricKinds(), []string{"cpu", "memory", "disk"}; !slices.Equal(got, want) {
		t.Fatalf("MetricKinds() = %v, want %v", got, want)
	}
}

func TestAlertKindsAreComplete(t *testing.T) {
	for _, k := range homelabcmd.AlertKinds() {
		t.Run(k.Name, func(t *testing.T) {
			if k.Label == "" || k.Hint == "" || k.Headline == "" || k.ResolvedHeadline == "" {
				t.Errorf("label, hint and headlines are required: %+v", k)
			}
			if txt := k.Text(""); txt.Title == "" || txt.Message == "" {
				t.Errorf("no usual title and message")
			}
			if got, ok := homelabcmd.LookupAlertKind(k.Name); !ok || got.Name != k.Name {
				t.Errorf("LookupAlertKind(%q) = %v, %v", k.Name, got.Name, ok)
			}
			m := k.Metric
			if m == nil {
				return
			}
			if k.ThresholdKey != k.Name || m.Unit == "" || m.Help == "" || m.CriticalPercent <= m.HighPercent {
				t.Errorf("metric spec incomplete or inconsistent: %+v %+v", k, *m)
			}
			// Value reads the heartbeat field the table names.
			var got homelabcmd.Metrics
			if err := json.Unmarshal([]byte(`{"`+m.Field+`": 42.5}`), &got); err != nil {
				t.Fatal(err)
			}
			if v := m.Value(&got); v == nil || *v != 42.5 {
				t.Errorf("Value does not read %s: %v", m.Field, v)
			}
		})
	}
	if _, ok := homelabcmd.LookupAlertKind("load"); ok {
		t.Error("LookupAlertKind found an unknown kind")
	}
}

func TestAlertTextRender(t *testing.T) {
	title, msg := homelabcmd.AlertText{Title: "{a} on {b}", Message: "{b}{missing}"}.Render("a", "{b}", "b", "x")
	if title != "{b} on x" || msg != "x{missing}" {
		t.Fatalf("Render = %q, %q", title, msg)
	}
	k, _ := homelabcmd.LookupAlertKind(homelabcmd.AlertService)
	if got := k.Text("no such cause"); got != k.Text("") {
		t.Errorf("an unknown cause gets %v, want the usual text", got)
	}
}
