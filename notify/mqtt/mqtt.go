// Package mqtt publishes notifications to an MQTT broker (MQTT v5): one
// JSON message per notification on a configured topic, QoS and retain.
package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/mqttconn"
	"github.com/homelabcmd/homelabcmd/notify"
)

// Validation errors.
var (
	ErrBadURL   = errors.New("mqtt: url must be mqtt://host[:1883] or mqtts://host[:8883] (credentials go in username and password)")
	ErrNoTopic  = errors.New("mqtt: topic is required and must not contain + or #")
	ErrBadQoS   = errors.New("mqtt: qos must be 0, 1 or 2")
	ErrClientID = errors.New("mqtt: client_id must be at most 23 letters and digits")
)

// Config is an MQTT channel. Password is a secret.
type Config struct {
	URL      string `json:"url"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// Topic may hold {server_id}, {severity} and {event}, e.g.
	// "homelab/alerts/{server_id}".
	Topic string `json:"topic"`
	// QoS is 0, 1 or 2; 1 when not given.
	QoS    *int `json:"qos,omitempty"`
	Retain bool `json:"retain,omitempty"`
	// ClientID is the MQTT client identifier; random when empty.
	ClientID string `json:"client_id,omitempty"`
}

// Validate checks the fields and fills the defaults.
func (c *Config) Validate() error {
	u, err := mqttconn.ParseURL(c.URL)
	if err != nil {
		return ErrBadURL
	}
	c.URL = u.String()
	if c.Topic == "" || strings.ContainsAny(c.Topic, "+#\x00") || strings.HasPrefix(c.Topic, "$") {
		return ErrNoTopic
	}
	if c.QoS == nil {
		one := 1
		c.QoS = &one
	}
	if *c.QoS < 0 || *c.QoS > 2 {
		return ErrBadQoS
	}
	if len(c.ClientID) > 23 || strings.IndexFunc(c.ClientID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		return ErrClientID
	}
	return nil
}

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.Password} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	minQoS, maxQoS := notify.IntRange(0, 2)
	return []notify.ConfigField{
		{Name: "url", Label: "Broker URL", Type: notify.FieldString, Required: true, Placeholder: "mqtt://broker.lan:1883", Help: "mqtt:// or mqtts:// (tcp:// and ssl:// too)."},
		{Name: "topic", Label: "Topic", Type: notify.FieldString, Required: true, Placeholder: "homelab/alerts/{server_id}", Help: "May hold {server_id}, {severity} and {event}; no wildcards."},
		{Name: "username", Label: "Username", Type: notify.FieldString},
		{Name: "password", Label: "Password", Type: notify.FieldString, Secret: true},
		{Name: "qos", Label: "QoS", Type: notify.FieldInt, Min: minQoS, Max: maxQoS, Default: 1},
		{Name: "retain", Label: "Retain", Type: notify.FieldBool},
		{Name: "client_id", Label: "Client id", Type: notify.FieldString, Pattern: "[A-Za-z0-9_-]{0,23}", Help: "Random when empty."},
	}
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.URL) }

// Notifier publishes to one broker and topic, connecting for each message.
type Notifier struct {
	cfg  Config
	dial mqttconn.DialFunc
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a valid config. It dials through client's
// transport when that has a DialContext (so the hub's outbound rules for
// channel targets apply to MQTT too; nil: the default guarded client's),
// else directly.
func New(cfg Config, client *http.Client, _ *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{cfg: cfg}
	if client == nil {
		client = notify.NewClient()
	}
	if client != nil {
		if t, ok := client.Transport.(*http.Transport); ok && t.DialContext != nil {
			n.dial = t.DialContext
		}
	}
	return n, nil
}

// Payload is what is published: the message's fields (as the webhook
// sends them) with the rendered headline and text.
type Payload struct {
	*notify.Message
	Headline string `json:"headline"`
	Body     string `json:"text"`
}

// Topic returns the topic of m, placeholders filled in.
func (n *Notifier) Topic(m *notify.Message) string {
	server := m.ServerID
	if server == "" {
		server = "hub"
	}
	return strings.NewReplacer("{server_id}", server, "{severity}", m.Severity, "{event}", m.Event).Replace(n.cfg.Topic)
}

// deliveryTimeout bounds one connect-publish-disconnect.
const deliveryTimeout = 15 * time.Second

// Notify connects, publishes m and disconnects. With QoS 1 or 2 it returns
// once the broker acknowledged the message.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(Payload{Message: m, Headline: notify.Headline(m), Body: notify.PlainText(m)})
	if err != nil {
		return notify.Permanent("mqtt: encode payload")
	}
	err = n.publish(ctx, body, n.Topic(m))
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return notify.Cancelled(ctx)
	}
	var e *notify.Error
	if !errors.As(err, &e) {
		e = notify.Temporary("mqtt: %s", err.Error()) // network errors and timeouts
	}
	e.Msg = notify.Scrub(e.Msg, n.cfg.Password)
	if e.Err != nil {
		e.Msg, e.Err = e.Msg+": "+notify.Scrub(e.Err.Error(), n.cfg.Password), nil
	}
	return e
}

func (n *Notifier) publish(ctx context.Context, body []byte, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	u, _ := mqttconn.ParseURL(n.cfg.URL)
	conn, err := mqttconn.Dial(ctx, u, n.dial)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // a hung broker must not outlive ctx
	defer stop()
	c := paho.NewClient(paho.ClientConfig{Conn: conn})
	id := n.cfg.ClientID
	if id == "" {
		id = "homelabcmd-" + strings.ReplaceAll(homelabcmd.NewGUID(), "-", "")[:12]
	}
	cp := &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true, Username: n.cfg.Username, UsernameFlag: n.cfg.Username != ""}
	if n.cfg.Password != "" {
		cp.Password, cp.PasswordFlag = []byte(n.cfg.Password), true
	}
	ca, err := c.Connect(ctx, cp)
	if err != nil {
		conn.Close()
		if ca != nil {
			return &notify.Error{Retryable: mqttconn.RetryableReason(ca.ReasonCode), Msg: "mqtt: " + u.Host + " refused the connection: " + mqttconn.ReasonText(ca.ReasonCode)}
		}
		return err
	}
	defer c.Disconnect(&paho.Disconnect{ReasonCode: 0})
	pr, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: byte(*n.cfg.QoS), Retain: n.cfg.Retain, Payload: body,
		Properties: &paho.PublishProperties{ContentType: "application/json"}})
	if err != nil {
		if pr != nil {
			return &notify.Error{Retryable: mqttconn.RetryableReason(pr.ReasonCode), Msg: "mqtt: " + u.Host + " refused the message: " + mqttconn.ReasonText(pr.ReasonCode)}
		}
		return err
	}
	return nil
}
