package hub_test

import (
	"context"
	"testing"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/hub"
)

// An explicit offline timeout (flag, env, file) wins over the stored one
// and cannot be changed through the API; the other thresholds can.
func TestPinnedThresholds(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, db *fixture) {
		// Stored from the dashboard before the flag was given.
		secs := 900
		if _, _, err := db.UpdateThresholds(ctx, alerting.ThresholdsPatch{ServerOfflineSeconds: &secs}); err != nil {
			t.Fatal(err)
		}
		cfg := alerting.DefaultConfig()
		cfg.Thresholds.ServerOfflineSeconds = 300
		e := hub.New(db.DB, nil, hub.Options{Alerting: cfg,
			Pinned: map[string]alerting.Pin{"server_offline_seconds": {Option: "offline_timeout", Source: "flag", Via: "--offline-timeout", Value: "5m"}}})
		th, err := e.Thresholds(ctx)
		if err != nil || th.ServerOfflineSeconds != 300 {
			t.Fatalf("pinned value lost to the stored one: %d, %v", th.ServerOfflineSeconds, err)
		}
		other := 600
		if _, _, err := e.UpdateThresholds(ctx, alerting.ThresholdsPatch{ServerOfflineSeconds: &other}); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
			t.Fatalf("changing a pinned threshold: %v", err)
		}
		same, group := 300, 30
		th, updated, err := e.UpdateThresholds(ctx, alerting.ThresholdsPatch{ServerOfflineSeconds: &same, GroupSeconds: &group})
		if err != nil || th.GroupSeconds != 30 || th.ServerOfflineSeconds != 300 || len(updated) != 1 {
			t.Fatalf("unpinned change: %+v %v %v", th, updated, err)
		}
		if p := e.Pinned()["server_offline_seconds"]; p.Via != "--offline-timeout" {
			t.Fatalf("pins = %+v", e.Pinned())
		}
		// Without the pin the stored value applies (the last save stored the pinned one).
		if th, _ := db.Thresholds(ctx); th.ServerOfflineSeconds != 300 {
			t.Fatalf("unpinned engine reads %d", th.ServerOfflineSeconds)
		}
	})
}
