// Package mqtttest runs tests against a real Mosquitto broker: a private
// one on a free port (so a test may stop and start it without disturbing
// others), or the machine's shared one when the binary is missing.
package mqtttest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/mqttconn"
)

// Environment variables: the shared broker, and whether MQTT tests must run.
const (
	EnvURL     = "HOMELAB_TEST_MQTT_URL"
	EnvRequire = "HOMELAB_TEST_REQUIRE_MQTT"
)

// Broker is a running Mosquitto.
type Broker struct {
	URL  string
	Addr string
	dir  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
}

func mosquittoBinary() string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	return ""
}

// Private starts a Mosquitto of its own on a free loopback port, stopped
// when the test ends. Without the binary it skips (or fails when
// HOMELAB_TEST_REQUIRE_MQTT is set).
func Private(t testing.TB) *Broker {
	t.Helper()
	if mosquittoBinary() == "" {
		unavailable(t, "the mosquitto binary is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	b := &Broker{dir: t.TempDir(), port: port}
	b.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	b.URL = "mqtt://" + b.Addr
	// No persistence: a restart loses the retained messages, as a broker
	// that is rebuilt does, so what is there afterwards was republished.
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port)
	if err := os.WriteFile(filepath.Join(b.dir, "mosquitto.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Start(t)
	t.Cleanup(func() { b.Stop(t) })
	return b
}

// Shared returns the machine's broker (HOMELAB_TEST_MQTT_URL, else
// mqtt://127.0.0.1:1883) when it answers; else it skips or fails.
func Shared(t testing.TB) *Broker {
	t.Helper()
	raw := os.Getenv(EnvURL)
	if raw == "" {
		raw = "mqtt://127.0.0.1:1883"
	}
	u, err := mqttconn.ParseURL(raw)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		unavailable(t, "no MQTT broker at "+u.Host+" (start it: mosquitto -d -c /etc/mosquitto/mosquitto.conf)")
	}
	c.Close()
	return &Broker{URL: u.String(), Addr: u.Host}
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequire) != "" {
		t.Fatalf("%s is set but %s", EnvRequire, why)
	}
	t.Skip("MQTT tests skipped: " + why)
}

// Start starts a private broker (again) and waits until it accepts.
func (b *Broker) Start(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return
	}
	log, err := os.OpenFile(filepath.Join(b.dir, "mosquitto.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(mosquittoBinary(), "-c", filepath.Join(b.dir, "mosquitto.conf"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	b.cmd = cmd
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", b.Addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s within 20s", b.Addr)
		}
	}
}

// Stop stops a private broker and waits for it to exit.
func (b *Broker) Stop(t testing.TB) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
	b.cmd = nil
}

// Message is one message a Subscriber received.
type Message struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
	At      time.Time
}

// Subscriber records what arrives on its subscriptions.
type Subscriber struct {
	mu   sync.Mutex
	msgs []Message
	cli  *paho.Client
}

// Subscribe connects a client to b and subscribes to the filters (QoS 2);
// retained messages arrive first, and Retain says whether a message was
// published retained (retain as published).
func Subscribe(t testing.TB, b *Broker, filters ...string) *Subscriber {
	t.Helper()
	s := &Subscriber{}
	u, _ := mqttconn.ParseURL(b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := mqttconn.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.cli = paho.NewClient(paho.ClientConfig{Conn: conn, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(p paho.PublishReceived) (bool, error) {
			s.mu.Lock()
			s.msgs = append(s.msgs, Message{Topic: p.Packet.Topic, Payload: p.Packet.Payload, QoS: p.Packet.QoS, Retain: p.Packet.Retain, At: time.Now()})
			s.mu.Unlock()
			return true, nil
		}}})
	id := "test-" + strings.ReplaceAll(homelabcmd.NewGUID(), "-", "")[:12]
	if _, err := s.cli.Connect(ctx, &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cli.Disconnect(&paho.Disconnect{}) })
	var subs []paho.SubscribeOptions
	for _, f := range filters {
		subs = append(subs, paho.SubscribeOptions{Topic: f, QoS: 2, RetainAsPublished: true})
	}
	if _, err := s.cli.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Messages returns what arrived so far.
func (s *Subscriber) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait polls until a message on topic satisfies ok and returns the first
// such; it fails the test after timeout.
func (s *Subscriber) Wait(t testing.TB, timeout time.Duration, topic string, ok func(Message) bool) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range s.Messages() {
			if m.Topic == topic && (ok == nil || ok(m)) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching message on %s within %s; got %d messages", topic, timeout, len(s.Messages()))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Publish sends one message to b (QoS 1) and disconnects.
func Publish(t testing.TB, b *Broker, topic string, payload []byte, retain bool) {
	t.Helper()
	u, _ := mqttconn.ParseURL(b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := mqttconn.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn})
	id := "pub-" + strings.ReplaceAll(homelabcmd.NewGUID(), "-", "")[:12]
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(&paho.Disconnect{})
	if _, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Retain: retain, Payload: payload}); err != nil {
		t.Fatal(err)
	}
}

// Prefix returns a topic prefix unique to this test run.
func Prefix(t testing.TB) string {
	return "t" + strings.ReplaceAll(homelabcmd.NewGUID(), "-", "")[:12]
}
