package mqtt_test

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"

	"github.com/homelabcmd/homelabcmd/mqttconn/mqtttest"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/mqtt"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
)

const password = "mqtt-Secret-Passw0rd"

func qos(n int) *int { return &n }

// Against the machine's Mosquitto: the message arrives on the topic (with
// its placeholders filled in) at the QoS asked for, and a retained one
// reaches a subscriber that comes later.
func TestPublishToMosquitto(t *testing.T) {
	b := mqtttest.Shared(t)
	prefix := mqtttest.Prefix(t)
	sub := mqtttest.Subscribe(t, b, prefix+"/#")
	for _, tt := range []struct {
		name string
		qos  int
	}{{"qos 0", 0}, {"qos 1", 1}, {"qos 2", 2}} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := mqtt.New(mqtt.Config{URL: b.URL, Topic: prefix + "/{severity}/{server_id}", QoS: qos(tt.qos)}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := notifytest.Message()
			m.ID = tt.name
			if err := n.Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := sub.Wait(t, 10*time.Second, prefix+"/critical/nas", func(g mqtttest.Message) bool {
				var p map[string]any
				return json.Unmarshal(g.Payload, &p) == nil && p["id"] == tt.name
			})
			var p map[string]any
			_ = json.Unmarshal(got.Payload, &p)
			if got.QoS != byte(tt.qos) || p["headline"] != "Critical: DISK Usage Alert" || p["text"] == "" || p["alert_id"] != 42.0 || p["event"] != "opened" {
				t.Errorf("received qos %d %s", got.QoS, got.Payload)
			}
		})
	}
	t.Run("retained", func(t *testing.T) {
		topic := prefix + "/retained"
		n, err := mqtt.New(mqtt.Config{URL: b.URL, Topic: topic, Retain: true}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(context.Background(), notifytest.Message()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mqtttest.Publish(t, b, topic, nil, true) }) // clear it
		late := mqtttest.Subscribe(t, b, topic)
		if got := late.Wait(t, 10*time.Second, topic, nil); !got.Retain {
			t.Errorf("a late subscriber got %+v, want the retained message", got)
		}
	})
}

// fakeBroker answers CONNECT and PUBLISH with the reason codes a reply
// stands for, echoing the credentials it got in its reason strings to
// tempt a leak.
func fakeBroker(t *testing.T, connack, puback byte, hang bool) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{})
	t.Cleanup(func() { ln.Close() })
	go func() {
		first := true
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn, first bool) {
				defer c.Close()
				p, err := packets.ReadPacket(c)
				if err != nil {
					return
				}
				cp, _ := p.Content.(*packets.Connect)
				if hang {
					if first {
						close(arrived)
					}
					_, _ = c.Read(make([]byte, 1)) // until the client gives up
					return
				}
				echo := "user " + cp.Username + " password " + string(cp.Password)
				ca := packets.NewControlPacket(packets.CONNACK)
				ca.Content.(*packets.Connack).ReasonCode = connack
				ca.Content.(*packets.Connack).Properties = &packets.Properties{ReasonString: echo}
				if _, err := ca.WriteTo(c); err != nil || connack >= 0x80 {
					return
				}
				for {
					p, err := packets.ReadPacket(c)
					if err != nil {
						return
					}
					if pub, ok := p.Content.(*packets.Publish); ok && pub.QoS == 1 {
						pa := packets.NewControlPacket(packets.PUBACK)
						pa.Content.(*packets.Puback).PacketID = pub.PacketID
						pa.Content.(*packets.Puback).ReasonCode = puback
						pa.Content.(*packets.Puback).Properties = &packets.Properties{ReasonString: echo}
						if _, err := pa.WriteTo(c); err != nil {
							return
						}
					}
				}
			}(c, first)
			first = false
		}
	}()
	return "mqtt://" + ln.Addr().String(), arrived
}

// codes maps the kit's replies to MQTT: a CONNACK or a PUBACK reason code.
var codes = map[int]struct{ connack, puback byte }{
	200: {0, 0}, 204: {0, packets.PubackNoMatchingSubscribers},
	429: {packets.ConnackConnectionRateExceeded, 0}, 500: {packets.ConnackUnspecifiedError, 0},
	502: {packets.ConnackServerUnavailable, 0}, 503: {0, packets.PubackQuotaExceeded},
	400: {0, packets.PubackTopicNameInvalid}, 401: {packets.ConnackBadUsernameOrPassword, 0},
	403: {0, packets.PubackNotAuthorized}, 404: {packets.ConnackUnsupportedProtocolVersion, 0},
}

func newNotifier(t *testing.T, url string) notify.Notifier {
	t.Helper()
	n, err := mqtt.New(mqtt.Config{URL: url, Username: "hub", Password: password, Topic: "homelab/alerts"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, notifytest.Harness{
		Start: func(t *testing.T, r notifytest.Reply) (notify.Notifier, []string) {
			c, ok := codes[r.HTTPStatus]
			if !ok {
				t.Fatalf("no MQTT mapping for reply %s", r.Name)
			}
			url, _ := fakeBroker(t, c.connack, c.puback, false)
			return newNotifier(t, url), []string{password}
		},
		Hang: func(t *testing.T) (notify.Notifier, <-chan struct{}) {
			url, arrived := fakeBroker(t, 0, 0, true)
			return newNotifier(t, url), arrived
		},
		Unreachable: func(t *testing.T) (notify.Notifier, []string) {
			return newNotifier(t, "mqtt://"+notifytest.ClosedAddr(t)), []string{password}
		},
	})
}

func TestValidate(t *testing.T) {
	c := mqtt.Config{URL: "tcp://broker.lan", Topic: "a/b"}
	if err := c.Validate(); err != nil || *c.QoS != 1 || c.URL != "mqtt://broker.lan:1883" {
		t.Errorf("defaults: %v %+v", err, c)
	}
	for _, tt := range []struct {
		name string
		cfg  mqtt.Config
		want error
	}{
		{"http url", mqtt.Config{URL: "http://x", Topic: "a"}, mqtt.ErrBadURL},
		{"credentials in the url", mqtt.Config{URL: "mqtt://u:p@x", Topic: "a"}, mqtt.ErrBadURL},
		{"no topic", mqtt.Config{URL: "mqtt://x"}, mqtt.ErrNoTopic},
		{"wildcard", mqtt.Config{URL: "mqtt://x", Topic: "a/#"}, mqtt.ErrNoTopic},
		{"qos 3", mqtt.Config{URL: "mqtt://x", Topic: "a", QoS: qos(3)}, mqtt.ErrBadQoS},
		{"client id", mqtt.Config{URL: "mqtt://x", Topic: "a", ClientID: "a b"}, mqtt.ErrClientID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err != tt.want {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}
