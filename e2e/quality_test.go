package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// note is one notification as a webhook receiver sees it.
type note struct {
	Event       string `json:"event"`
	AlertType   string `json:"alert_type"`
	Severity    string `json:"severity"`
	Title       string `json:"title"`
	Text        string `json:"message"`
	Note        string `json:"note"`
	ServiceName string `json:"service_name"`
}

// notes records every webhook delivery in order.
type notes struct {
	srv *httptest.Server
	mu  sync.Mutex
	all []note
}

func newNotes(t *testing.T) *notes {
	n := &notes{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m note
		_ = json.Unmarshal(body, &m)
		n.mu.Lock()
		n.all = append(n.all, m)
		n.mu.Unlock()
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *notes) list() []note {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]note(nil), n.all...)
}

// wait polls until want deliveries arrived (generous deadline), then gives
// any extra one a second to show up and returns them all.
func (n *notes) wait(t *testing.T, want int) []note {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(n.list()) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	got := n.list()
	if len(got) != want {
		t.Fatalf("%d notifications, want %d: %+v", len(got), want, got)
	}
	return got
}

// qualityHub is a hub with server nas (nas.lan), the given expected
// services and a webhook channel for every severity.
func qualityHub(t *testing.T, services ...string) (*Hub, *notes) {
	t.Helper()
	n := newNotes(t)
	h := StartHub(t, t.TempDir(), alertHubEnv(""))
	if code := api(t, "POST", h.URL+"/api/v1/servers", `{"id":"nas","hostname":"nas.lan"}`, nil); code != 201 {
		t.Fatalf("create server: %d", code)
	}
	for _, s := range services {
		if code := api(t, "POST", h.URL+"/api/v1/servers/nas/services", fmt.Sprintf(`{"service_name":%q}`, s), nil); code != 201 {
			t.Fatalf("create service: %d", code)
		}
	}
	body := fmt.Sprintf(`{"name":"hook","type":"webhook","min_severity":"low","config":{"url":%q,"secret":%q}}`, n.srv.URL+"/hook", hookKey)
	if code := api(t, "POST", h.URL+"/api/v1/notifications/channels", body, nil); code != 201 {
		t.Fatalf("create channel: %d", code)
	}
	return h, n
}

// report sends one heartbeat stamped at; each service is "name=status" or
// "name=status=reason".
func report(t *testing.T, hubURL string, at time.Time, services ...string) {
	t.Helper()
	var svcs []string
	for _, s := range services {
		f := strings.SplitN(s, "=", 3)
		r := fmt.Sprintf(`{"name":%q,"status":%q`, f[0], f[1])
		if len(f) == 3 {
			r += fmt.Sprintf(`,"status_reason":%q`, f[2])
		}
		svcs = append(svcs, r+"}")
	}
	body := fmt.Sprintf(`{"server_id":"nas","hostname":"nas.lan","timestamp":%q,"services":[%s]}`, at.UTC().Format(time.RFC3339Nano), strings.Join(svcs, ","))
	if code := api(t, "POST", hubURL+"/api/v1/agents/heartbeat", body, nil); code != 200 {
		t.Fatalf("heartbeat: %d", code)
	}
}

// An agent whose clock is 10 minutes behind or ahead alerts like any other,
// and the server shows the skew.
func TestSkewedAgentStillAlerts(t *testing.T) {
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			h, n := qualityHub(t, "plex")
			report(t, h.URL, time.Now().Add(skew), "plex=running")
			report(t, h.URL, time.Now().Add(skew), "plex=stopped")
			got := n.wait(t, 1)
			if got[0].Event != "opened" || got[0].ServiceName != "plex" {
				t.Fatalf("notification = %+v", got[0])
			}
			var s struct {
				ClockOffset *float64 `json:"clock_offset_seconds"`
				ClockSkewed bool     `json:"clock_skewed"`
			}
			if code := api(t, "GET", h.URL+"/api/v1/servers/nas", "", &s); code != 200 || !s.ClockSkewed || s.ClockOffset == nil ||
				(*s.ClockOffset > 0) != (skew > 0) {
				t.Fatalf("server clock: %d %+v", code, s)
			}
		})
	}
}

// Unpausing a server whose service is still down sends one notification,
// marked; the service's later recovery is then notified too.
func TestUnpauseWithServiceDownNotifiesOnce(t *testing.T) {
	h, n := qualityHub(t, "plex", "smbd")
	if code := api(t, "PUT", h.URL+"/api/v1/servers/nas/pause", "", nil); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	report(t, h.URL, time.Now(), "plex=stopped", "smbd=stopped")
	report(t, h.URL, time.Now(), "plex=stopped", "smbd=running") // recovered while paused: silent
	if code := api(t, "PUT", h.URL+"/api/v1/servers/nas/unpause", "", nil); code != 200 {
		t.Fatalf("unpause: %d", code)
	}
	got := n.wait(t, 1)
	if got[0].Event != "opened" || got[0].ServiceName != "plex" || !strings.Contains(got[0].Note, "paused") {
		t.Fatalf("unpause notification = %+v", got[0])
	}
	report(t, h.URL, time.Now(), "plex=running", "smbd=running")
	if got = n.wait(t, 2); got[1].Event != "resolved" || got[1].ServiceName != "plex" {
		t.Fatalf("recovery = %+v", got[1])
	}
}

// Deleting an expected service with an open alert resolves it.
func TestDeleteExpectedServiceResolvesItsAlert(t *testing.T) {
	h, n := qualityHub(t, "plex")
	report(t, h.URL, time.Now(), "plex=stopped")
	n.wait(t, 1)
	if code := api(t, "DELETE", h.URL+"/api/v1/servers/nas/services/plex", "", nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	got := n.wait(t, 2)
	if got[1].Event != "resolved" || !strings.Contains(got[1].Text, "expected service deleted") {
		t.Fatalf("resolution = %+v", got[1])
	}
	var list struct {
		Alerts []struct {
			Status           string  `json:"status"`
			ResolutionReason *string `json:"resolution_reason"`
		} `json:"alerts"`
	}
	if code := api(t, "GET", h.URL+"/api/v1/alerts?server_id=nas", "", &list); code != 200 || len(list.Alerts) != 1 ||
		list.Alerts[0].Status != "resolved" || list.Alerts[0].ResolutionReason == nil {
		t.Fatalf("alerts: %d %+v", code, list)
	}
	report(t, h.URL, time.Now(), "plex=stopped")
	n.wait(t, 2)
}

// An expected unit reported "unit not found" alerts after three
// heartbeats, once, and resolves when the unit appears.
func TestUnitNotFoundAlertsAndResolves(t *testing.T) {
	h, n := qualityHub(t, "plexx")
	for range 2 {
		report(t, h.URL, time.Now(), "plexx=unknown=unit not found")
	}
	n.wait(t, 0)
	for range 3 {
		report(t, h.URL, time.Now(), "plexx=unknown=unit not found")
	}
	got := n.wait(t, 1)
	if got[0].AlertType != "unit" || got[0].Severity != "medium" || got[0].Title != "plexx is not a unit on nas.lan (typo?)" {
		t.Fatalf("unit alert = %+v", got[0])
	}
	report(t, h.URL, time.Now(), "plexx=running")
	if got = n.wait(t, 2); got[1].Event != "resolved" || got[1].AlertType != "unit" {
		t.Fatalf("resolution = %+v", got[1])
	}
}

// A unit that stops for a second 8 times in 36 s: at most two
// notifications (opened, flapping) with the recovery hold on.
func TestFlappingUnitNotifiesAtMostTwice(t *testing.T) {
	h, n := qualityHub(t, "plex")
	if code := api(t, "PUT", h.URL+"/api/v1/config/thresholds", `{"flapping":{"recovery_hold_seconds":10}}`, nil); code != 200 {
		t.Fatalf("thresholds: %d", code)
	}
	start := time.Now()
	report(t, h.URL, start, "plex=running")
	for i := range 8 {
		at := start.Add(time.Duration(i) * 4500 * time.Millisecond)
		report(t, h.URL, at.Add(3500*time.Millisecond), "plex=stopped")
		report(t, h.URL, at.Add(4500*time.Millisecond), "plex=running")
	}
	got := n.wait(t, 2)
	if got[0].Event != "opened" || got[1].Event != "flapping" || !strings.Contains(got[1].Text, "is flapping") {
		t.Fatalf("notifications = %+v", got)
	}
}

// A unit that crashes and is restarted 12 times, reporting running every
// time, raises a crash-loop alert.
func TestCrashLoopAlertsWhileRunning(t *testing.T) {
	h, n := qualityHub(t, "plex")
	for i := range 13 {
		body := fmt.Sprintf(`{"server_id":"nas","hostname":"nas.lan","timestamp":%q,"services":[{"name":"plex","status":"running","restarts":%d}]}`,
			time.Now().UTC().Format(time.RFC3339Nano), i)
		if code := api(t, "POST", h.URL+"/api/v1/agents/heartbeat", body, nil); code != 200 {
			t.Fatalf("heartbeat: %d", code)
		}
	}
	got := n.wait(t, 1)
	if got[0].Event != "opened" || got[0].AlertType != "crashloop" || got[0].Title != "Service plex is crash-looping on nas.lan" {
		t.Fatalf("notification = %+v", got[0])
	}
}

// Five services stopping in one heartbeat: one notification listing them.
func TestAlertsOpeningTogetherAreOneNotification(t *testing.T) {
	h, n := qualityHub(t, "a", "b", "c", "d", "e")
	report(t, h.URL, time.Now(), "a=running", "b=running", "c=running", "d=running", "e=running")
	report(t, h.URL, time.Now(), "a=stopped", "b=failed", "c=stopped", "d=stopped", "e=stopped")
	got := n.wait(t, 1)
	if got[0].Event != "opened" || got[0].Title != "5 alerts on nas.lan" || strings.Count(got[0].Text, "•") != 5 {
		t.Fatalf("grouped notification = %+v", got[0])
	}
}

// TestMeasureFlappingNotifications counts the notifications of one
// flapping incident (8 one-second stops in 36 s, then calm heartbeats every
// 2 s until it is stable), with the default thresholds and with the
// recovery hold; stable_seconds is cut to 10 s so the test ends. Run with
// HOMELAB_MEASURE=1.
func TestMeasureFlappingNotifications(t *testing.T) {
	if os.Getenv("HOMELAB_MEASURE") == "" {
		t.Skip("measurement: set HOMELAB_MEASURE=1 to run")
	}
	for _, c := range []struct{ name, thresholds string }{
		{"defaults", `{"flapping":{"stable_seconds":10}}`},
		{"no recovery hold", `{"flapping":{"stable_seconds":10,"recovery_hold_seconds":0}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, n := qualityHub(t, "plex")
			if code := api(t, "PUT", h.URL+"/api/v1/config/thresholds", c.thresholds, nil); code != 200 {
				t.Fatalf("thresholds: %d", code)
			}
			start := time.Now()
			report(t, h.URL, start, "plex=running")
			for i := range 8 {
				next := start.Add(time.Duration(i+1) * 4500 * time.Millisecond)
				time.Sleep(time.Until(next.Add(-time.Second)))
				report(t, h.URL, time.Now(), "plex=stopped")
				time.Sleep(time.Until(next))
				report(t, h.URL, time.Now(), "plex=running")
			}
			during := len(n.list())
			for range 8 {
				time.Sleep(2 * time.Second)
				report(t, h.URL, time.Now(), "plex=running")
			}
			time.Sleep(time.Second)
			var events []string
			for _, m := range n.list() {
				events = append(events, m.Event)
			}
			t.Logf("%s: 8 flaps in 36 s → %d notifications during the flaps, %d for the incident: %v", c.name, during, len(events), events)
		})
	}
}

// Services stopping on one server a few seconds apart (one heartbeat each,
// as the agent reports every change at once): the first is told at once,
// the others together when the 10 s window ends.
func TestAlertsOpeningWithinTenSecondsAreGrouped(t *testing.T) {
	h, n := qualityHub(t, "a", "b", "c", "d")
	report(t, h.URL, time.Now(), "a=running", "b=running", "c=running", "d=running")
	report(t, h.URL, time.Now(), "a=stopped", "b=running", "c=running", "d=running")
	time.Sleep(time.Second)
	report(t, h.URL, time.Now(), "a=stopped", "b=stopped", "c=running", "d=running")
	time.Sleep(time.Second)
	report(t, h.URL, time.Now(), "a=stopped", "b=stopped", "c=stopped", "d=stopped")
	got := n.wait(t, 2)
	if got[0].ServiceName != "a" || got[1].Title != "3 alerts on nas.lan" {
		t.Fatalf("notifications = %+v", got)
	}
}

// A quiet-hours window: nothing is sent inside it; the alert still open is
// sent once when it ends. The window runs to the end of the current minute
// (UTC), so the test takes up to a minute and a quarter.
func TestQuietHoursHoldThenSendWhenTheWindowEnds(t *testing.T) {
	t.Parallel() // mostly waiting (windows, timeouts, leases): overlaps the others
	h, n := qualityHub(t, "plex")
	if s := time.Now().UTC().Second(); s > 45 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"name":"quiet","server_id":"nas","start":%q,"end":%q,"time_zone":"UTC"}`, now.Format("15:04"), now.Add(time.Minute).Format("15:04"))
	if code := api(t, "POST", h.URL+"/api/v1/maintenance-windows", body, nil); code != 201 {
		t.Fatalf("create window: %d", code)
	}
	report(t, h.URL, time.Now(), "plex=stopped")
	n.wait(t, 0)
	deadline := time.Now().Add(90 * time.Second)
	for len(n.list()) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	got := n.wait(t, 1)
	if got[0].Event != "opened" || got[0].ServiceName != "plex" || !strings.Contains(got[0].Note, "maintenance window") {
		t.Fatalf("after the window = %+v", got[0])
	}
	if end := now.Truncate(time.Minute).Add(time.Minute); time.Now().Before(end) {
		t.Fatalf("sent before the window ended at %v", end)
	}
}

// Plex was down for a second while the hub could not hear nas (longer than
// the offline timeout, cut to 30 s): the replayed heartbeats tell it once,
// at low severity.
func TestReplayedOutageIsToldOnce(t *testing.T) {
	t.Parallel() // mostly waiting (windows, timeouts, leases): overlaps the others
	h, n := qualityHub(t, "plex")
	if code := api(t, "PUT", h.URL+"/api/v1/config/thresholds", `{"server_offline_seconds":30}`, nil); code != 200 {
		t.Fatalf("thresholds: %d", code)
	}
	start := time.Now()
	report(t, h.URL, start, "plex=running")
	time.Sleep(32 * time.Second) // the agent's outbox fills meanwhile
	report(t, h.URL, start.Add(500*time.Millisecond), "plex=stopped")
	report(t, h.URL, start.Add(1000*time.Millisecond), "plex=stopped")
	report(t, h.URL, start.Add(1500*time.Millisecond), "plex=running")
	report(t, h.URL, time.Now(), "plex=running")
	deadline := time.Now().Add(30 * time.Second)
	var replayed []note
	for time.Now().Before(deadline) {
		replayed = replayed[:0]
		for _, m := range n.list() {
			if m.AlertType == "replayed" {
				replayed = append(replayed, m)
			}
		}
		if len(replayed) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if len(replayed) != 1 || replayed[0].Severity != "low" || !strings.Contains(replayed[0].Text, "plex was down for 1s") {
		t.Fatalf("replayed-outage notifications = %+v (all: %+v)", replayed, n.list())
	}
	for _, m := range n.list() {
		if m.AlertType == "service" {
			t.Fatalf("a replay opened a service alert: %+v", m)
		}
	}
}
