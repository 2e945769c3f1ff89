// Package hass brings the fleet into Home Assistant over MQTT: each server
// is a device (announced with MQTT discovery, retained) with an online
// binary sensor, CPU, memory and disk sensors, an open-alerts sensor, a
// running binary sensor per expected service and a restart button per
// expected unit. States are published when the hub's events say they
// changed; a button press queues a restart through the engine, with its
// guard rails, approval in maintenance and audit trail.
package hass

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/backoff"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/mqttconn"
)

// Actor is who a restart from a Home Assistant button is recorded as.
const Actor = "home-assistant"

// Fleet is what the bridge reads (sqlstore.DB).
type Fleet interface {
	ListServers(ctx context.Context) ([]*homelabcmd.Server, error)
	FindServer(ctx context.Context, id string) (*homelabcmd.Server, error)
	LatestMetrics(ctx context.Context, serverID string) (*homelabcmd.MetricsSample, error)
	ListExpectedServices(ctx context.Context, serverID string) ([]*homelabcmd.ExpectedService, error)
	ListAlerts(ctx context.Context, f homelabcmd.AlertFilter) ([]*homelabcmd.Alert, int, error)
}

// Restarter queues restarts (hub.Engine).
type Restarter interface {
	CreateRestart(ctx context.Context, serverID, service, actor string) (*homelabcmd.Action, error)
}

// Options configure a bridge; zero fields take the defaults.
type Options struct {
	// URL is the broker, mqtt://host[:1883] or mqtts://host[:8883].
	URL      string
	Username string
	Password string
	// DiscoveryPrefix is Home Assistant's discovery prefix ("homeassistant").
	DiscoveryPrefix string
	// TopicPrefix roots the bridge's state, command and status topics
	// ("homelabcmd").
	TopicPrefix string
	// RestartButtons adds a restart button per expected unit.
	RestartButtons bool
	// ExternalURL, when set, links each device to its dashboard page.
	ExternalURL string
	// Reconcile is how often everything is compared with what was
	// published, for changes no event announces (a server deleted); 10 min.
	Reconcile time.Duration
	// Dial opens TCP connections (nil: net.Dialer).
	Dial   mqttconn.DialFunc
	Logger *slog.Logger
}

// Bridge publishes the fleet to Home Assistant. Run it on one hub at a
// time (an Exclusive service job).
type Bridge struct {
	fleet   Fleet
	restart Restarter
	events  *live.Broker
	opts    Options
	url     *url.URL
	log     *slog.Logger

	// Only Run's goroutine touches these.
	cli       *paho.Client
	broken    bool // a publish timed out: skip the rest until reconnected
	conns     atomic.Int64
	published map[string]string              // topic → last payload published
	entities  map[string]map[string]struct{} // server → its discovery and state topics
}

// ErrBadPrefix is returned for a topic or discovery prefix with wildcards.
var ErrBadPrefix = errors.New("hass: topic prefixes must be non-empty and hold no +, # or leading $")

// New checks the options and returns a bridge.
func New(fleet Fleet, r Restarter, events *live.Broker, o Options) (*Bridge, error) {
	u, err := mqttconn.ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.DiscoveryPrefix == "" {
		o.DiscoveryPrefix = "homeassistant"
	}
	if o.TopicPrefix == "" {
		o.TopicPrefix = "homelabcmd"
	}
	for _, p := range []string{o.DiscoveryPrefix, o.TopicPrefix} {
		p = strings.Trim(p, "/")
		if p == "" || strings.ContainsAny(p, "+#\x00") || strings.HasPrefix(p, "$") {
			return nil, ErrBadPrefix
		}
	}
	o.DiscoveryPrefix, o.TopicPrefix = strings.Trim(o.DiscoveryPrefix, "/"), strings.Trim(o.TopicPrefix, "/")
	if o.Reconcile <= 0 {
		o.Reconcile = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bridge{fleet: fleet, restart: r, events: events, opts: o, url: u, log: o.Logger}, nil
}

// Connections counts the connections made to the broker so far.
func (b *Bridge) Connections() int { return int(b.conns.Load()) }

// Job runs the bridge as the hub's Exclusive service job: with several
// hubs on one PostgreSQL one publishes, and when it dies another takes
// over within every.
func (b *Bridge) Job(every time.Duration) hub.Job {
	return hub.Job{Name: "home-assistant", Every: every, AtStart: true, Exclusive: true, Service: true, Run: b.Run}
}

// press is a restart button pressed in Home Assistant.
type press struct{ server, unit string }

// Run connects (reconnecting with backoff while the broker is away),
// announces the fleet and keeps it up to date until ctx ends; then it
// marks the bridge offline and disconnects. Every (re)connection
// republishes everything: the hub's database holds the truth, so nothing
// is lost while the broker is down.
func (b *Bridge) Run(ctx context.Context) error {
	events := b.events.Subscribe(ctx) // before the first sync: no change slips between
	presses := make(chan press, 64)
	bo := &backoff.Backoff{Min: time.Second, Max: 30 * time.Second}
	b.published, b.entities = map[string]string{}, map[string]map[string]struct{}{}
	reconcile := time.NewTicker(b.opts.Reconcile)
	defer reconcile.Stop()
	for {
		cli, err := b.connect(ctx, presses)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait := bo.Next()
			b.log.Warn("home assistant: MQTT broker unreachable; retrying", "broker", b.url.Host, "err", err, "in", wait.Round(time.Millisecond))
			if !backoff.Sleep(ctx, wait) {
				return nil
			}
			continue
		}
		bo.Reset()
		b.cli = cli
		b.onConnected(ctx)
	serve:
		for {
			select {
			case <-ctx.Done():
				b.shutdown()
				return nil
			case <-cli.Done():
				b.log.Warn("home assistant: lost the MQTT broker; reconnecting", "broker", b.url.Host)
				break serve
			case <-reconcile.C:
				b.syncAll(ctx)
			case p := <-presses:
				b.handlePress(ctx, p)
			case ev, ok := <-events:
				if ok {
					b.onEvents(ctx, ev, events)
				}
			}
		}
	}
}

// connect opens one MQTT 5 connection with the bridge's will ("offline",
// retained, on the status topic). One client ID per bridge: a hub taking
// over from a dead one takes over its connection too, so the old will is
// published before the new "online", not after it.
func (b *Bridge) connect(ctx context.Context, presses chan<- press) (*paho.Client, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := mqttconn.Dial(cctx, b.url, b.opts.Dial)
	if err != nil {
		return nil, err
	}
	cli := paho.NewClient(paho.ClientConfig{
		ClientID: "homelabcmd-" + slug(b.opts.TopicPrefix),
		Conn:     conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			// A retained command would restart the unit on every
			// reconnection: only live presses count.
			if p.Packet.Retain || strings.TrimSpace(string(p.Packet.Payload)) != "PRESS" {
				return true, nil
			}
			if server, unit, ok := b.parseCommand(p.Packet.Topic); ok {
				select {
				case presses <- press{server, unit}:
				default:
					b.log.Warn("home assistant: restart presses arrive faster than they are handled; one dropped", "server", server, "unit", unit)
				}
			}
			return true, nil
		}},
	})
	cp := &paho.Connect{ClientID: "homelabcmd-" + slug(b.opts.TopicPrefix), KeepAlive: 30, CleanStart: true,
		WillMessage: &paho.WillMessage{Topic: b.statusTopic(), Payload: []byte("offline"), QoS: 1, Retain: true}}
	if b.opts.Username != "" {
		cp.Username, cp.UsernameFlag = b.opts.Username, true
		cp.Password, cp.PasswordFlag = []byte(b.opts.Password), b.opts.Password != ""
	}
	ca, err := cli.Connect(cctx, cp)
	if err != nil {
		conn.Close()
		if ca != nil {
			return nil, errors.New("broker refused the connection: " + mqttconn.ReasonText(ca.ReasonCode))
		}
		return nil, err
	}
	return cli, nil
}

// onConnected subscribes to the buttons, says the bridge is online and
// republishes everything (the broker may have lost its retained messages).
func (b *Bridge) onConnected(ctx context.Context) {
	b.log.Info("home assistant: connected to the MQTT broker; publishing the fleet", "broker", b.url.Host)
	if b.opts.RestartButtons {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := b.cli.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
			{Topic: b.commandFilter(), QoS: 1, RetainHandling: 2}}})
		cancel()
		if err != nil {
			b.log.Warn("home assistant: could not subscribe to the restart buttons", "err", err)
		}
	}
	b.published, b.broken = map[string]string{}, false
	b.conns.Add(1)
	b.publish(ctx, b.statusTopic(), "online")
	b.syncAll(ctx)
}

// onEvents handles ev and every event already waiting, refreshing each
// server they name once.
func (b *Bridge) onEvents(ctx context.Context, ev homelabcmd.Event, more <-chan homelabcmd.Event) {
	dirty, all := map[string]bool{}, false
	add := func(ev homelabcmd.Event) {
		switch {
		case ev.Internal() || ev.Type == homelabcmd.EventActionChanged:
		case ev.ServerID == "":
			all = true
		default:
			dirty[ev.ServerID] = true
		}
	}
	add(ev)
	for drained := false; !drained; {
		select {
		case ev, ok := <-more:
			if !ok {
				drained = true
				break
			}
			add(ev)
		default:
			drained = true
		}
	}
	if all {
		b.syncAll(ctx)
		return
	}
	for id := range dirty {
		b.syncServer(ctx, id)
	}
}

// shutdown marks the bridge offline (a clean disconnect sends no will)
// and disconnects.
func (b *Bridge) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, _ = b.cli.Publish(ctx, &paho.Publish{Topic: b.statusTopic(), Payload: []byte("offline"), QoS: 1, Retain: true})
	_ = b.cli.Disconnect(&paho.Disconnect{ReasonCode: 0})
}

// publish sends payload (retained, QoS 1) unless it is what the topic
// last got on this connection. Failures are logged: the next connection
// republishes everything anyway.
func (b *Bridge) publish(ctx context.Context, topic, payload string) bool {
	if last, ok := b.published[topic]; ok && last == payload {
		return true
	}
	if b.broken {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if pr, err := b.cli.Publish(pctx, &paho.Publish{Topic: topic, Payload: []byte(payload), QoS: 1, Retain: true}); err != nil {
		if pr != nil {
			b.log.Warn("home assistant: the broker refused a message", "topic", topic, "reason", mqttconn.ReasonText(pr.ReasonCode))
		} else if ctx.Err() == nil {
			b.broken = true // the connection is going: the next one republishes everything
			b.log.Warn("home assistant: publishing failed; republishing once reconnected", "err", err)
		}
		return false
	}
	b.published[topic] = payload
	return true
}

// unpublish clears a retained topic (an empty payload removes a
// discovered entity from Home Assistant).
func (b *Bridge) unpublish(ctx context.Context, topic string) {
	if b.broken {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := b.cli.Publish(pctx, &paho.Publish{Topic: topic, QoS: 1, Retain: true}); err == nil {
		delete(b.published, topic)
	}
}

func round1(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := math.Round(*p*10) / 10
	return &v
}
