package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// fleetBeat sends one heartbeat of server id with services svc0…svcN-1, all
// running except down.
func fleetBeat(t *testing.T, hubURL, id string, services int, at time.Time, down ...int) {
	t.Helper()
	var svcs []string
	for i := range services {
		st := "running"
		if slices.Contains(down, i) {
			st = "stopped"
		}
		svcs = append(svcs, fmt.Sprintf(`{"name":"svc%d","status":%q}`, i, st))
	}
	body := fmt.Sprintf(`{"server_id":%q,"hostname":%q,"timestamp":%q,"services":[%s]}`, id, id, at.UTC().Format(time.RFC3339Nano), strings.Join(svcs, ","))
	if code := api(t, "POST", hubURL+"/api/v1/agents/heartbeat", body, nil); code != 200 {
		t.Fatalf("heartbeat of %s: %d", id, code)
	}
}

type alertRow struct {
	ServerID    string  `json:"server_id"`
	AlertType   string  `json:"alert_type"`
	Status      string  `json:"status"`
	ServiceName *string `json:"service_name"`
}

func listAlerts(t *testing.T, hubURL, query string) []alertRow {
	t.Helper()
	var out struct {
		Alerts []alertRow `json:"alerts"`
	}
	if code := api(t, "GET", hubURL+"/api/v1/alerts?limit=100&"+query, "", &out); code != 200 {
		t.Fatalf("list alerts: %d", code)
	}
	return out.Alerts
}

// Three hubs on one PostgreSQL behind a "load balancer" (the fleet spreads
// its heartbeats over them): no duplicate alerts, every transition notified
// exactly once, and after one hub is killed with SIGKILL the others carry
// on — including offline detection, which only a clock can notice.
func TestThreeHubsOnePostgres(t *testing.T) {
	t.Parallel() // mostly waiting (windows, timeouts, leases): overlaps the others
	dbURL := storetest.NewURL(t, "postgres")
	rcv := newHookReceiver(t)
	env := append(alertHubEnv(dbURL), "HOMELAB_CMD_OFFLINE_TIMEOUT=30s")
	hubs := []*Hub{StartHub(t, t.TempDir(), env), StartHub(t, t.TempDir(), env), StartHub(t, t.TempDir(), env)}
	const services = 4
	fleet := []string{"nas", "pi", "nuc"}
	setupAlertHub(t, hubs[0].URL, rcv.srv.URL, services) // creates "nas" with svc0…svc3 and the webhook channel
	for _, id := range fleet[1:] {
		api(t, "POST", hubs[1].URL+"/api/v1/servers", fmt.Sprintf(`{"id":%q,"hostname":%q}`, id, id), nil)
		for i := range services {
			api(t, "POST", hubs[2].URL+"/api/v1/servers/"+id+"/services", fmt.Sprintf(`{"service_name":"svc%d","is_critical":%v}`, i, i == 0), nil)
		}
	}

	start := time.Now() // reports older than offline_timeout count as "while offline"
	transitions := 0
	beatNo := 0
	send := func(id string, down ...int) {
		alive := hubs[:0:0]
		for _, h := range hubs {
			select {
			case <-h.done:
			default:
				alive = append(alive, h)
			}
		}
		fleetBeat(t, alive[beatNo%len(alive)].URL, id, services, start.Add(time.Duration(beatNo)*100*time.Millisecond), down...)
		beatNo++
	}
	// Round r: on every server, service r%services is down (opened) and the
	// previous one is back (resolved). Each heartbeat goes to another hub.
	for r := range 8 {
		for _, id := range fleet {
			send(id, r%services)
			transitions++ // svc r opened
			if r > 0 {
				transitions++ // svc r-1 resolved
			}
		}
		if r == 4 {
			_ = hubs[2].cmd.Process.Kill() // SIGKILL: no graceful anything
			<-hubs[2].done
		}
	}
	for _, id := range fleet {
		send(id)
		transitions++ // the last one resolved
	}

	// Offline detection goes on without the killed hub: "pi" falls silent.
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, id := range []string{"nas", "nuc"} {
			send(id)
		}
		if len(listAlerts(t, hubs[0].URL, "server_id=pi&alert_type=offline")) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no offline alert for the silent server within 90 s; hub output:\n%s", hubs[0].Output())
		}
		time.Sleep(time.Second)
	}
	transitions++ // pi offline opened
	send("pi")    // and back
	transitions++ // pi offline resolved

	// A row claimed by the killed hub is redelivered after its lease (60 s).
	if !rcv.waitFor(transitions, 120*time.Second) {
		var st struct {
			Total int `json:"total"`
		}
		api(t, "GET", hubs[0].URL+"/api/v1/alerts?limit=1", "", &st)
		t.Fatalf("%d of %d deliveries arrived; %d alerts exist\nhub 0:\n%s\nhub 1:\n%s", rcv.count(), transitions, st.Total,
			tail(hubs[0].Output(), 3000), tail(hubs[1].Output(), 3000))
	}
	time.Sleep(2 * time.Second) // room for a duplicate to show up

	rcv.mu.Lock()
	total, distinct, bad := rcv.total, len(rcv.byID), rcv.badSig
	rcv.mu.Unlock()
	if total != transitions || distinct != transitions || bad != 0 {
		t.Fatalf("deliveries = %d (%d distinct, %d bad signatures), want exactly %d", total, distinct, bad, transitions)
	}
	// No duplicate alerts: one per outage, none open now.
	all := listAlerts(t, hubs[1].URL, "")
	seen := map[string]int{}
	for _, a := range all {
		key := a.ServerID + "/" + a.AlertType
		if a.ServiceName != nil {
			key += "/" + *a.ServiceName
		}
		seen[key]++
		if a.Status != "resolved" {
			t.Errorf("alert %s still %s", key, a.Status)
		}
	}
	// 8 rounds over 4 services: svc0…svc3 each went down twice per server.
	for _, id := range fleet {
		for i := range services {
			if n := seen[fmt.Sprintf("%s/service/svc%d", id, i)]; n != 2 {
				t.Errorf("%s svc%d: %d alerts, want 2 (one per outage)", id, i, n)
			}
		}
	}
	if seen["pi/offline"] != 1 || len(all) != len(fleet)*services*2+1 {
		t.Fatalf("%d alerts (offline for pi: %d), want %d", len(all), seen["pi/offline"], len(fleet)*services*2+1)
	}
}

// waitFor waits until n deliveries arrived or the timeout passes.
func (r *hookReceiver) waitFor(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for r.count() < n {
		select {
		case <-r.got:
		case <-deadline:
			return false
		}
	}
	return true
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
