package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func mustCheck(t *testing.T, db *fixture, c homelabcmd.Check) *homelabcmd.Check {
	t.Helper()
	c.Enabled = true
	if err := db.CreateCheck(context.Background(), &c); err != nil {
		t.Fatalf("create check: %v", err)
	}
	return &c
}

// checkBeat sends a heartbeat from server with one result of check and
// returns the checks in the answer.
func checkBeat(t *testing.T, db *fixture, clock *alertClock, server string, check int64, status string) []homelabcmd.CheckSpec {
	t.Helper()
	hb := heartbeat(server, clock.now)
	msg := "connection refused"
	r := homelabcmd.CheckResult{CheckID: check, Status: status, LatencyMS: ptr(1.5), CheckedAt: clock.now}
	if status != homelabcmd.CheckUp {
		r.Error = &msg
	}
	hb.CheckResults = []homelabcmd.CheckResult{r}
	res, err := db.Ingest(context.Background(), hb, homelabcmd.IngestMeta{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Checks
}

func checkAlerts(t *testing.T, db *fixture) []*homelabcmd.Alert {
	t.Helper()
	list, _, err := db.ListAlerts(context.Background(), homelabcmd.AlertFilter{AlertType: homelabcmd.AlertCheck})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// A check alerts after its retries, as critical when the check is, goes
// out through the outbox, and resolves when the check recovers.
func TestCheckAlertsAfterRetriesAndResolves(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *fixture) {
		clock := setupAlerting(t, db)
		mustCreateServer(t, db, "pi")
		mustChannel(t, db, "ops", homelabcmd.SeverityLow, true)
		c := mustCheck(t, db, homelabcmd.Check{Name: "plex web", Type: "http", Target: "http://plex.lan:32400/web", Retries: 1, Critical: true, ServerIDs: []string{"pi"}})

		specs := checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckUp)
		if len(specs) != 1 || specs[0].ID != c.ID || specs[0].Method != "GET" || specs[0].IntervalSeconds != 60 {
			t.Fatalf("checks in the answer: %+v", specs)
		}
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckDown)
		if n := len(checkAlerts(t, db)); n != 0 {
			t.Fatalf("alert after one failure with retries 1: %d", n)
		}
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckDown)
		list := checkAlerts(t, db)
		if len(list) != 1 || list[0].Severity != homelabcmd.SeverityCritical || list[0].Status != homelabcmd.AlertOpen ||
			*list[0].ServiceName != "plex web" || list[0].ServerID != "pi" {
			t.Fatalf("alerts %+v", list)
		}
		if want := "Check plex web is down (from pi)"; list[0].Title != want {
			t.Fatalf("title %q, want %q", list[0].Title, want)
		}
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckDown) // still down: nothing new
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckUp)
		list = checkAlerts(t, db)
		if len(list) != 1 || list[0].Status != homelabcmd.AlertResolved || !list[0].AutoResolved {
			t.Fatalf("alerts after recovery %+v", list)
		}
		mustEvents(t, db, "opened", "resolved")

		ov, err := db.CheckOverview(context.Background(), c.ID)
		if err != nil || len(ov.Agents) != 1 || ov.Agents[0].Status != "up" || ov.Agents[0].Failures != 0 {
			t.Fatalf("overview %+v %v", ov, err)
		}
		hist, err := db.CheckHistory(context.Background(), c.ID, clock.now.Add(-time.Hour), 100)
		if err != nil || len(hist) != 5 || hist[4].Status != "up" || hist[1].Status != "down" {
			t.Fatalf("history %+v %v", hist, err)
		}
	})
}

// With the default quorum (all agents) the check alerts only when every
// agent that runs it sees it fail; a quorum of 1 alerts on the first. The
// per-agent results show who sees what.
func TestCheckQuorum(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *fixture) {
		clock := setupAlerting(t, db)
		mustCreateServer(t, db, "pi")
		mustCreateServer(t, db, "nas")
		all := mustCheck(t, db, homelabcmd.Check{Name: "router", Type: "ping", Target: "192.168.1.1", AllAgents: true})
		one := mustCheck(t, db, homelabcmd.Check{Name: "dns", Type: "tcp", Target: "192.168.1.2:53", Quorum: 1, ServerIDs: []string{"pi", "nas"}})

		for _, id := range []int64{all.ID, one.ID} {
			checkBeat(t, db, clock, "pi", id, homelabcmd.CheckUp)
			checkBeat(t, db, clock, "nas", id, homelabcmd.CheckUp)
		}
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "pi", all.ID, homelabcmd.CheckDown)
		checkBeat(t, db, clock, "pi", one.ID, homelabcmd.CheckDown)
		list := checkAlerts(t, db)
		if len(list) != 1 || *list[0].ServiceName != "dns" || list[0].Severity != homelabcmd.SeverityHigh {
			t.Fatalf("after pi alone fails: %+v", list)
		}
		ov, err := db.CheckOverview(context.Background(), all.ID)
		if err != nil || len(ov.Agents) != 2 || ov.Agents[0].ServerID != "nas" || ov.Agents[0].Status != "up" || ov.Agents[1].Status != "down" {
			t.Fatalf("per-agent results %+v %v", ov, err)
		}
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "nas", all.ID, homelabcmd.CheckDown)
		list = checkAlerts(t, db)
		if len(list) != 2 || *list[0].ServiceName != "router" || list[0].ServerID != "nas" || list[0].Title != "Check router is down (from 2 of 2 agents: nas, pi)" {
			t.Fatalf("after both fail: %+v", list[0])
		}
		clock.advance(time.Minute)
		checkBeat(t, db, clock, "pi", all.ID, homelabcmd.CheckUp) // quorum lost: resolves, though filed under nas
		if list = checkAlerts(t, db); list[0].Status != homelabcmd.AlertResolved {
			t.Fatalf("router alert after pi recovers: %+v", list[0])
		}
	})
}

// A certificate close to expiry opens a medium alert that escalates when
// it gets within the critical days; deleting the check resolves its alert
// with the reason.
func TestCheckWarnEscalatesAndDeleteResolves(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *fixture) {
		ctx := context.Background()
		clock := setupAlerting(t, db)
		mustCreateServer(t, db, "pi")
		c := mustCheck(t, db, homelabcmd.Check{Name: "nas cert", Type: "tls", Target: "nas.lan:443", ServerIDs: []string{"pi"}})
		if c.WarnDays != 14 || c.CriticalDays != 7 {
			t.Fatalf("defaults %+v", c.CheckOptions)
		}
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckWarn)
		if list := checkAlerts(t, db); len(list) != 1 || list[0].Severity != homelabcmd.SeverityMedium {
			t.Fatalf("warn: %+v", list)
		}
		clock.advance(time.Hour)
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckDown)
		list := checkAlerts(t, db)
		if len(list) != 1 || list[0].Severity != homelabcmd.SeverityHigh || list[0].Status != homelabcmd.AlertOpen {
			t.Fatalf("escalated: %+v", list)
		}
		if err := db.DeleteCheck(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		list = checkAlerts(t, db)
		if list[0].Status != homelabcmd.AlertResolved || list[0].ResolutionReason == nil || *list[0].ResolutionReason != "check deleted" {
			t.Fatalf("after delete: %+v", list[0])
		}
		// Results of a deleted (or unknown) check are ignored.
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckDown)
		if len(checkAlerts(t, db)) != 1 {
			t.Fatal("a deleted check alerted")
		}
	})
}

func TestCheckValidation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *fixture) {
		ctx := context.Background()
		mustCreateServer(t, db, "pi")
		tests := []struct {
			name, field, code string
			c                 homelabcmd.Check
		}{
			{"unknown type", "type", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "smtp", Target: "x", AllAgents: true}},
			{"http without URL", "target", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "http", Target: "plex.lan", AllAgents: true}},
			{"tcp without port", "target", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "tcp", Target: "plex.lan", AllAgents: true}},
			{"no servers", "server_ids", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "ping", Target: "plex.lan"}},
			{"unknown server", "server_ids", homelabcmd.ENOTFOUND, homelabcmd.Check{Name: "a", Type: "ping", Target: "plex.lan", ServerIDs: []string{"nope"}}},
			{"interval too short", "interval_seconds", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "ping", Target: "plex.lan", AllAgents: true, IntervalSeconds: 4}},
			{"bad header", "headers", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "http", Target: "http://x/", AllAgents: true,
				CheckOptions: homelabcmd.CheckOptions{Headers: map[string]string{"X-A": "b\r\nX-Evil: 1"}}}},
			{"bad record type", "record_type", homelabcmd.EINVALID, homelabcmd.Check{Name: "a", Type: "dns", Target: "nas.lan", AllAgents: true,
				CheckOptions: homelabcmd.CheckOptions{RecordType: "ANY"}}},
		}
		for _, tc := range tests {
			err := db.CreateCheck(ctx, &tc.c)
			var e *homelabcmd.Error
			if homelabcmd.ErrorCode(err) != tc.code || !asError(err, &e) || e.Field != tc.field {
				t.Errorf("%s: %v, want %s on %s", tc.name, err, tc.code, tc.field)
			}
		}
		mustCheck(t, db, homelabcmd.Check{Name: "a", Type: "ping", Target: "plex.lan", AllAgents: true})
		if err := db.CreateCheck(ctx, &homelabcmd.Check{Name: "a", Type: "ping", Target: "plex.lan", AllAgents: true}); !homelabcmd.IsConflict(err) {
			t.Fatalf("duplicate name: %v", err)
		}
		list, err := db.ListChecks(ctx, "")
		if err != nil || len(list) != 1 {
			t.Fatalf("stored after refusals: %+v %v", list, err)
		}
	})
}

func asError(err error, target **homelabcmd.Error) bool {
	e, ok := err.(*homelabcmd.Error)
	*target = e
	return ok
}

// A check that keeps failing and recovering is flap-controlled like a
// service: one "flapping" notification, its alert stays open while it
// flaps and resolves once it has been stable.
func TestCheckFlapControl(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *fixture) {
		clock := setupAlerting(t, db)
		mustCreateServer(t, db, "pi")
		mustChannel(t, db, "ops", homelabcmd.SeverityLow, true)
		noRecoveryHold(t, db) // each quick recovery resolves at once until it flaps
		c := mustCheck(t, db, homelabcmd.Check{Name: "wifi ap", Type: "ping", Target: "192.168.1.3", ServerIDs: []string{"pi"}})
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckUp)
		for i := range 8 {
			clock.advance(30 * time.Second)
			st := homelabcmd.CheckDown
			if i%2 == 1 {
				st = homelabcmd.CheckUp
			}
			checkBeat(t, db, clock, "pi", c.ID, st)
		}
		mustEvents(t, db, "opened", "resolved", "opened", "resolved", "opened", "flapping")
		if list := checkAlerts(t, db); list[0].Status != homelabcmd.AlertOpen {
			t.Fatalf("a flapping check's alert resolved: %+v", list[0])
		}
		clock.advance(6 * time.Minute) // stable (up) longer than stable_seconds
		checkBeat(t, db, clock, "pi", c.ID, homelabcmd.CheckUp)
		mustEvents(t, db, "opened", "resolved", "opened", "resolved", "opened", "flapping", "resolved")
	})
}
