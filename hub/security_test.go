package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// Security updates pending for N days: the rule's memory of since when is
// kept in the stored rule state between heartbeats, on both engines.
func TestSecurityUpdatesAlert(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		clk := setupAlerting(t, db)
		if _, _, err := db.UpdateThresholds(ctx, alerting.ThresholdsPatch{SecurityUpdatesDays: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		beat := func(n int) []*homelabcmd.Alert {
			t.Helper()
			hb := heartbeat("web", clk.now)
			hb.SecurityUpdates = &n
			mustIngest(t, db, hb)
			alerts, _, err := db.ListAlerts(ctx, homelabcmd.AlertFilter{AlertType: homelabcmd.AlertSecurityUpdates})
			if err != nil {
				t.Fatal(err)
			}
			return alerts
		}
		if a := beat(3); len(a) != 0 {
			t.Fatalf("opened at once: %+v", a)
		}
		clk.advance(47 * time.Hour)
		if a := beat(3); len(a) != 0 {
			t.Fatalf("opened before 2 days: %+v", a)
		}
		clk.advance(time.Hour)
		a := beat(4)
		if len(a) != 1 || a[0].Status != homelabcmd.AlertOpen || a[0].Severity != homelabcmd.SeverityMedium || *a[0].ActualValue != 4 {
			t.Fatalf("after 2 days: %+v", a)
		}
		clk.advance(time.Hour)
		a = beat(0)
		if len(a) != 1 || a[0].Status != homelabcmd.AlertResolved || !a[0].AutoResolved {
			t.Fatalf("after updating: %+v", a)
		}
	})
}
