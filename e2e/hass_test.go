package e2e

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/mqttconn/mqtttest"
)

// The real hub and agent with Home Assistant over a real Mosquitto: a
// unit that stops in systemd is published as stopped (the latency is
// logged: unit change → MQTT message), and a restart button press is
// carried out by the agent, with "home-assistant" in the audit trail.
func TestHomeAssistantEndToEnd(t *testing.T) {
	broker := mqtttest.Private(t)
	prefix := mqtttest.Prefix(t)
	sub := mqtttest.Subscribe(t, broker, prefix+"/#", prefix+"-ha/#")
	e := setupRestart(t, []string{"HOMELAB_CMD_MQTT_URL=" + broker.URL, "HOMELAB_CMD_MQTT_TOPIC_PREFIX=" + prefix,
		"HOMELAB_CMD_MQTT_DISCOVERY_PREFIX=" + prefix + "-ha"}, "", []string{"plex"})
	state := prefix + "/e2e-nas/service/plex/state"
	sub.Wait(t, 30*time.Second, prefix+"-ha/button/homelabcmd_e2e-nas/restart_plex/config", nil)
	sub.Wait(t, 30*time.Second, state, func(m mqtttest.Message) bool { return string(m.Payload) == "running" })

	n := 6
	if v, _ := strconv.Atoi(os.Getenv("HOMELAB_MEASURE_LATENCY")); v > 0 {
		n = v
	}
	var lat []time.Duration
	for i := range n {
		want := "stopped"
		if i%2 == 0 {
			e.fake.Stop("plex.service")
		} else {
			e.fake.Start("plex.service")
			want = "running"
		}
		start := time.Now()
		seen := len(sub.Messages())
		for {
			var got *mqtttest.Message
			for _, m := range sub.Messages()[seen:] {
				if m.Topic == state && string(m.Payload) == want {
					got = &m
					break
				}
			}
			if got != nil {
				lat = append(lat, got.At.Sub(start))
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("change %d (%s) not published within 30s", i, want)
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("unit change in systemd → MQTT state at a subscriber, %d changes: min %v p50 %v max %v", len(lat),
		lat[0].Round(time.Millisecond/10), lat[len(lat)/2].Round(time.Millisecond/10), lat[len(lat)-1].Round(time.Millisecond/10))

	mqtttest.Publish(t, broker, prefix+"/e2e-nas/service/plex/restart", []byte("PRESS"), false)
	var list struct {
		Actions []homelabcmd.Action `json:"actions"`
	}
	for deadline := time.Now().Add(30 * time.Second); len(list.Actions) == 0; time.Sleep(20 * time.Millisecond) {
		if code := api(t, "GET", e.hub.URL+"/api/v1/actions?server_id=e2e-nas", "", &list); code != 200 {
			t.Fatalf("list actions: %d", code)
		}
		if time.Now().After(deadline) {
			t.Fatal("the button press queued no action within 30s")
		}
	}
	a := e.waitDone(t, list.Actions[0].ID)
	b, _ := json.Marshal(a.Events)
	if a.CreatedBy != "home-assistant" || !strings.Contains(string(b), `"actor":"home-assistant"`) {
		t.Errorf("action by %q, audit trail %s", a.CreatedBy, b)
	}
}
