package agentless_test

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
)

// TestScheduledScans: a scheduled host is scanned when due (by the clock
// the job passes), each run kept in the scan history and noted on its
// schedule; not again before its interval has passed.
func TestScheduledScans(t *testing.T) {
	needSSHD(t)
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
		t.Fatal(err)
	}
	req := agentless.ScanScheduleRequest{ScanRequest: agentless.ScanRequest{Hostname: sshd.Host}, IntervalMinutes: 5}
	if _, err := e.svc.SetScanSchedule(ctx, "admin", req); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
		t.Fatalf("5 minutes: %v", err)
	}
	req.IntervalMinutes = 60
	c, err := e.svc.SetScanSchedule(ctx, "admin", req)
	if err != nil || c.Port != 22 || c.Username != "root" || !c.Enabled {
		t.Fatalf("set: %+v %v", c, err)
	}
	now := time.Now()
	for i, step := range []struct {
		at   time.Time
		runs int
	}{{now, 1}, {now.Add(59 * time.Minute), 0}, {now.Add(61 * time.Minute), 1}} {
		if n, err := e.svc.RunDueScans(ctx, step.at); n != step.runs || err != nil {
			t.Fatalf("step %d: %d runs, want %d (%v)", i, n, step.runs, err)
		}
	}
	scans, total, err := e.svc.Scans(ctx, 10, 0)
	if err != nil || total != 2 || scans[0].RequestedBy != "schedule" || scans[0].Status != "completed" {
		t.Fatalf("history: %d %+v %v", total, scans, err)
	}
	list, _ := e.svc.ScanSchedules(ctx)
	if len(list) != 1 || list[0].LastScanID == nil || *list[0].LastScanID != scans[0].ID || list[0].LastError != nil {
		t.Fatalf("schedule after runs: %+v", list)
	}
	off := false
	req.Enabled = &off
	if _, err := e.svc.SetScanSchedule(ctx, "admin", req); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.svc.RunDueScans(ctx, now.Add(1000*time.Hour)); n != 0 {
		t.Fatalf("disabled schedule ran %d", n)
	}
	if err := e.svc.DeleteScanSchedule(ctx, "admin", c.Key()); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteScanSchedule(ctx, "admin", c.Key()); !homelabcmd.IsNotFound(err) {
		t.Fatalf("deleted twice: %v", err)
	}
}
