package hass_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hass"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/mqttconn/mqtttest"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

// fixture is a hub (store, engine, events) with a server "nas" that
// expects nginx.service (critical), plex.service (with a display name)
// and a disabled cron.service, all reported running.
type fixture struct {
	db     *sqlstore.DB
	engine *hub.Engine
	events *live.Broker
}

func newFixture(t *testing.T, dbURL string) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	events := live.NewBroker()
	db.Events = events
	f := &fixture{db: db, engine: hub.New(db, events, hub.Options{}), events: events}
	return f
}

func (f *fixture) addNAS(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.CreateServer(ctx, &homelabcmd.Server{ID: "nas", Hostname: "nas.lan"}); err != nil {
		t.Fatal(err)
	}
	plex := "Plex Media Server"
	for _, s := range []*homelabcmd.ExpectedService{
		{ServerID: "nas", ServiceName: "nginx.service", IsCritical: true, Enabled: true},
		{ServerID: "nas", ServiceName: "plex.service", DisplayName: &plex, Enabled: true},
		{ServerID: "nas", ServiceName: "cron.service", Enabled: false},
	} {
		if err := f.db.CreateExpectedService(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	f.beat(t, homelabcmd.StatusRunning)
}

// beat ingests a heartbeat of nas with nginx in state nginx.
func (f *fixture) beat(t *testing.T, nginx homelabcmd.ServiceStatusValue) {
	t.Helper()
	hb := storetest.Heartbeat("nas", time.Now(), storetest.Report("nginx.service", nginx),
		storetest.Report("plex.service", homelabcmd.StatusRunning), storetest.Report("cron.service", homelabcmd.StatusRunning))
	hb.Hostname = "nas.lan"
	if _, err := f.engine.Ingest(context.Background(), hb, homelabcmd.IngestMeta{}); err != nil {
		t.Fatal(err)
	}
}

// prefixes returns a topic prefix and a discovery prefix unique to the
// test, and a subscriber to both.
func prefixes(t *testing.T, b *mqtttest.Broker) (prefix, disc string, sub *mqtttest.Subscriber) {
	prefix = mqtttest.Prefix(t)
	disc = prefix + "-ha"
	return prefix, disc, mqtttest.Subscribe(t, b, prefix+"/#", disc+"/#")
}

// newBridge returns a bridge of f on broker b.
func (f *fixture) newBridge(t *testing.T, b *mqtttest.Broker, prefix, disc string) *hass.Bridge {
	t.Helper()
	br, err := hass.New(f.db, f.engine, f.events, hass.Options{URL: b.URL, DiscoveryPrefix: disc, TopicPrefix: prefix,
		RestartButtons: true, ExternalURL: "http://hub.lan:8080"})
	if err != nil {
		t.Fatal(err)
	}
	return br
}

// startBridge runs a bridge on broker b until the test ends.
func (f *fixture) startBridge(t *testing.T, b *mqtttest.Broker, prefix, disc string) *hass.Bridge {
	t.Helper()
	br := f.newBridge(t, b, prefix, disc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = br.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return br
}

func decode(t *testing.T, m mqtttest.Message) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Payload, &v); err != nil {
		t.Fatalf("%s: %v: %s", m.Topic, err, m.Payload)
	}
	return v
}

// Every discovery config carries what Home Assistant requires of its
// component (a state topic for sensors, a command topic for buttons), a
// unique ID and a device with identifiers (so the entities group under
// the server), the bridge's availability topic, and templates that read
// keys the state messages have.
func TestDiscovery(t *testing.T) {
	b := mqtttest.Shared(t)
	f := newFixture(t, storetest.NewURL(t, "sqlite"))
	f.addNAS(t)
	prefix, disc, sub := prefixes(t, b)
	f.startBridge(t, b, prefix, disc)

	node := disc + "/%s/homelabcmd_nas/%s/config"
	want := map[string]string{ // topic → component
		fmt.Sprintf(node, "binary_sensor", "online"): "binary_sensor", fmt.Sprintf(node, "sensor", "cpu"): "sensor",
		fmt.Sprintf(node, "sensor", "memory"): "sensor", fmt.Sprintf(node, "sensor", "disk"): "sensor",
		fmt.Sprintf(node, "sensor", "open_alerts"):                  "sensor",
		fmt.Sprintf(node, "binary_sensor", "service_nginx_service"): "binary_sensor", fmt.Sprintf(node, "button", "restart_nginx_service"): "button",
		fmt.Sprintf(node, "binary_sensor", "service_plex_service"): "binary_sensor", fmt.Sprintf(node, "button", "restart_plex_service"): "button",
	}
	topicRE := regexp.MustCompile(`^` + regexp.QuoteMeta(disc) + `/(sensor|binary_sensor|button)/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+/config$`)
	state := decode(t, sub.Wait(t, 10*time.Second, prefix+"/nas/state", nil))
	if state["online"] != "ON" || state["cpu_percent"] != 12.5 || state["open_alerts"] != 0.0 {
		t.Errorf("server state = %v", state)
	}
	if got := sub.Wait(t, 10*time.Second, prefix+"/status", nil); string(got.Payload) != "online" || !got.Retain {
		t.Errorf("status = %q retained %v", got.Payload, got.Retain)
	}
	ids := map[string]bool{}
	for topic, component := range want {
		m := sub.Wait(t, 10*time.Second, topic, nil)
		cfg := decode(t, m)
		if !m.Retain || !topicRE.MatchString(topic) {
			t.Errorf("%s: retained %v, topic shape ok %v", topic, m.Retain, topicRE.MatchString(topic))
		}
		id, _ := cfg["unique_id"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: unique_id %q missing or repeated", topic, id)
		}
		ids[id] = true
		dev, _ := cfg["device"].(map[string]any)
		if idents, _ := dev["identifiers"].([]any); len(idents) != 1 || idents[0] != "homelabcmd_nas" || dev["name"] != "nas.lan" ||
			dev["configuration_url"] != "http://hub.lan:8080/servers/nas" {
			t.Errorf("%s: device = %v", topic, dev)
		}
		if cfg["availability_topic"] != prefix+"/status" || cfg["name"] == nil {
			t.Errorf("%s: availability %v name %v", topic, cfg["availability_topic"], cfg["name"])
		}
		switch component {
		case "button":
			cmd, _ := cfg["command_topic"].(string)
			if !strings.HasPrefix(cmd, prefix+"/nas/service/") || cfg["payload_press"] != "PRESS" || cfg["state_topic"] != nil {
				t.Errorf("%s: button %v", topic, cfg)
			}
		default:
			st, _ := cfg["state_topic"].(string)
			tpl, _ := cfg["value_template"].(string)
			if st == "" || tpl == "" {
				t.Fatalf("%s: state_topic %q value_template %q", topic, st, tpl)
			}
			if key, ok := strings.CutPrefix(strings.Trim(tpl, "{} "), "value_json."); ok {
				if _, has := state[key]; !has || st != prefix+"/nas/state" {
					t.Errorf("%s reads %s of %s, which the state %v lacks", topic, key, st, state)
				}
			} else if got := sub.Wait(t, 10*time.Second, st, nil); string(got.Payload) != "running" {
				t.Errorf("%s: service state %q", st, got.Payload)
			}
		}
	}
	for _, m := range sub.Messages() {
		if strings.Contains(m.Topic, "cron") {
			t.Errorf("the disabled cron.service got an entity: %s", m.Topic)
		}
	}
}

// A service that stops is published without polling: the heartbeat's
// commit announces it and the bridge publishes at once. The latency from
// Ingest returning to a subscriber holding the new state is logged.
func TestServiceStopPublished(t *testing.T) {
	b := mqtttest.Shared(t)
	f := newFixture(t, storetest.NewURL(t, "sqlite"))
	f.addNAS(t)
	prefix, disc, sub := prefixes(t, b)
	f.startBridge(t, b, prefix, disc)
	topic := prefix + "/nas/service/nginx.service/state"
	sub.Wait(t, 10*time.Second, topic, func(m mqtttest.Message) bool { return string(m.Payload) == "running" })

	var worst time.Duration
	for i := range 5 {
		st := []homelabcmd.ServiceStatusValue{homelabcmd.StatusStopped, homelabcmd.StatusRunning}[i%2]
		n := len(sub.Messages())
		f.beat(t, st)
		t0 := time.Now()
		var got mqtttest.Message
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			ms := sub.Messages()[n:]
			found := false
			for _, m := range ms {
				if m.Topic == topic && string(m.Payload) == string(st) {
					got, found = m, true
					break
				}
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not published within 10s", st)
			}
		}
		worst = max(worst, got.At.Sub(t0))
	}
	t.Logf("heartbeat stored → MQTT state received: worst of 5 %s", worst)
	// The stop opened an alert (nginx is critical): the count follows.
	sub.Wait(t, 10*time.Second, prefix+"/nas/state", func(m mqtttest.Message) bool {
		return strings.Contains(string(m.Payload), `"open_alerts":1`)
	})
}

// A button press queues a restart through the engine, recorded as done by
// "home-assistant"; a press for a unit without a button, or a retained
// one, does nothing.
func TestRestartButton(t *testing.T) {
	b := mqtttest.Shared(t)
	f := newFixture(t, storetest.NewURL(t, "sqlite"))
	f.addNAS(t)
	prefix, disc, sub := prefixes(t, b)
	// A retained press (left by anyone) must not restart plex whenever
	// the bridge connects.
	mqtttest.Publish(t, b, prefix+"/nas/service/plex.service/restart", []byte("PRESS"), true)
	t.Cleanup(func() { mqtttest.Publish(t, b, prefix+"/nas/service/plex.service/restart", nil, true) })
	f.startBridge(t, b, prefix, disc)
	// The bridge subscribes to the buttons before its first sync.
	sub.Wait(t, 10*time.Second, prefix+"/nas/state", nil)
	mqtttest.Publish(t, b, prefix+"/nas/service/cron.service/restart", []byte("PRESS"), false) // disabled: no button
	mqtttest.Publish(t, b, prefix+"/nas/service/sshd.service/restart", []byte("PRESS"), false) // not expected
	mqtttest.Publish(t, b, prefix+"/nas/service/nginx.service/restart", []byte("PRESS"), false)

	var actions []*homelabcmd.Action
	for deadline := time.Now().Add(10 * time.Second); len(actions) == 0; time.Sleep(10 * time.Millisecond) {
		var err error
		if actions, _, err = f.db.ListActions(context.Background(), homelabcmd.ActionFilter{ServerID: "nas"}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no action queued within 10s of the press")
		}
	}
	// Presses are handled in order: the three before it were ignored.
	if len(actions) != 1 || *actions[0].ServiceName != "nginx.service" || actions[0].CreatedBy != hass.Actor || actions[0].Status != homelabcmd.ActionApproved {
		t.Fatalf("actions = %+v", actions)
	}
	a, err := f.db.FindAction(context.Background(), actions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Events) == 0 || a.Events[0].Actor != "home-assistant" {
		t.Errorf("audit trail = %+v", a.Events)
	}
	// A second press while the restart is active is refused by the guard rails.
	mqtttest.Publish(t, b, prefix+"/nas/service/nginx.service/restart", []byte("PRESS"), false)
	mqtttest.Publish(t, b, prefix+"/nas/service/plex.service/restart", []byte("PRESS"), false)
	for deadline := time.Now().Add(10 * time.Second); len(actions) < 2; time.Sleep(10 * time.Millisecond) {
		actions, _, _ = f.db.ListActions(context.Background(), homelabcmd.ActionFilter{ServerID: "nas"})
		if time.Now().After(deadline) {
			t.Fatal("the plex press queued nothing within 10s")
		}
	}
	if len(actions) != 2 {
		t.Errorf("actions = %d, want 2 (nginx once, plex)", len(actions))
	}
}

// The broker stops and starts while the hub runs: a change made meanwhile
// is not lost (the hub keeps it) and is published once the bridge has
// reconnected, with the bridge online again.
func TestBrokerRestart(t *testing.T) {
	b := mqtttest.Private(t)
	f := newFixture(t, storetest.NewURL(t, "sqlite"))
	f.addNAS(t)
	prefix, disc, sub := prefixes(t, b)
	br := f.startBridge(t, b, prefix, disc)
	topic := prefix + "/nas/service/nginx.service/state"
	sub.Wait(t, 10*time.Second, topic, func(m mqtttest.Message) bool { return string(m.Payload) == "running" })

	b.Stop(t)
	f.beat(t, homelabcmd.StatusStopped) // the hub carries on without the broker
	t0 := time.Now()
	b.Start(t)
	after := mqtttest.Subscribe(t, b, prefix+"/#")
	after.Wait(t, 60*time.Second, topic, func(m mqtttest.Message) bool { return string(m.Payload) == "stopped" })
	t.Logf("broker back → change made while it was down published: %s", time.Since(t0).Round(time.Millisecond))
	after.Wait(t, 10*time.Second, prefix+"/status", func(m mqtttest.Message) bool { return string(m.Payload) == "online" })
	if br.Connections() < 2 {
		t.Errorf("connections = %d, want a reconnection", br.Connections())
	}
}

// Two hubs on one PostgreSQL each run the bridge as an exclusive job: one
// connects and publishes; when it stops, the other takes over.
func TestOneBridgePerDatabase(t *testing.T) {
	b := mqtttest.Shared(t)
	dbURL := storetest.NewURL(t, "postgres")
	f1 := newFixture(t, dbURL)
	f1.addNAS(t)
	f2 := newFixture(t, dbURL)
	prefix, disc, sub := prefixes(t, b)
	brs := []*hass.Bridge{f1.newBridge(t, b, prefix, disc), f2.newBridge(t, b, prefix, disc)}
	stops := make([]func(), 2)
	for i, f := range []*fixture{f1, f2} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.engine.Run(ctx, brs[i].Job(100*time.Millisecond)); close(done) }()
		stops[i] = func() { cancel(); <-done }
		t.Cleanup(stops[i])
	}
	sub.Wait(t, 20*time.Second, prefix+"/nas/state", nil)
	time.Sleep(time.Second) // ten tries of the other hub
	c0, c1 := brs[0].Connections(), brs[1].Connections()
	if c0+c1 != 1 {
		t.Fatalf("connections = %d and %d, want one bridge connected once", c0, c1)
	}
	winner, other := 0, 1
	if c1 == 1 {
		winner, other = 1, 0
	}
	n := len(sub.Messages())
	stops[winner]()
	for deadline := time.Now().Add(30 * time.Second); brs[other].Connections() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the other hub did not take over within 30s")
		}
	}
	// The one that stopped said offline; the one that took over, online.
	var seq []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		seq = seq[:0]
		for _, m := range sub.Messages()[n:] {
			if m.Topic == prefix+"/status" {
				seq = append(seq, string(m.Payload))
			}
		}
		if len(seq) > 0 && seq[len(seq)-1] == "online" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after the takeover: %v", seq)
		}
	}
}

// Disabling an expected service removes its entities (an empty retained
// config) with the server's next heartbeat; a new one gets entities.
func TestEntitiesFollowExpectedServices(t *testing.T) {
	b := mqtttest.Shared(t)
	f := newFixture(t, storetest.NewURL(t, "sqlite"))
	f.addNAS(t)
	prefix, disc, sub := prefixes(t, b)
	f.startBridge(t, b, prefix, disc)
	plex := disc + "/binary_sensor/homelabcmd_nas/service_plex_service/config"
	sub.Wait(t, 10*time.Second, plex, nil)

	off := false
	if _, err := f.db.UpdateExpectedService(context.Background(), "nas", "plex.service", homelabcmd.ExpectedServiceUpdate{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateExpectedService(context.Background(), &homelabcmd.ExpectedService{ServerID: "nas", ServiceName: "smbd.service", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	f.beat(t, homelabcmd.StatusRunning)
	for _, topic := range []string{plex, disc + "/button/homelabcmd_nas/restart_plex_service/config"} {
		if m := sub.Wait(t, 10*time.Second, topic, func(m mqtttest.Message) bool { return len(m.Payload) == 0 }); !m.Retain {
			t.Errorf("%s cleared without retain", topic)
		}
	}
	sub.Wait(t, 10*time.Second, disc+"/button/homelabcmd_nas/restart_smbd_service/config", nil)
	sub.Wait(t, 10*time.Second, prefix+"/nas/service/smbd.service/state", func(m mqtttest.Message) bool { return string(m.Payload) == "unknown" })
}
