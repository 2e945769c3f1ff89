// Package matrix sends notifications to a Matrix room as m.room.message
// events through the client-server API, authenticated with an access token.
package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
)

// Validation errors.
var (
	ErrBadHomeserver = errors.New("matrix: homeserver_url must be an http(s) URL")
	ErrNoAccessToken = errors.New("matrix: access_token (of the account that posts) is required")
	ErrBadRoomID     = errors.New("matrix: room_id must be a room ID like !abc123:example.org (not an #alias)")
	ErrBadMsgType    = errors.New("matrix: msgtype must be m.notice or m.text")
)

// Config is a Matrix channel. AccessToken is a secret.
type Config struct {
	HomeserverURL string `json:"homeserver_url"`
	AccessToken   string `json:"access_token"`
	RoomID        string `json:"room_id"`
	// MsgType is m.notice (default: what bots send, clients do not ring
	// for it unless asked) or m.text.
	MsgType string `json:"msgtype,omitempty"`
}

// Validate checks the fields and fills the defaults.
func (c *Config) Validate() error {
	c.HomeserverURL = strings.TrimRight(c.HomeserverURL, "/")
	if u, err := url.Parse(c.HomeserverURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadHomeserver
	}
	if c.AccessToken == "" {
		return ErrNoAccessToken
	}
	c.RoomID = strings.TrimSpace(c.RoomID)
	if !strings.HasPrefix(c.RoomID, "!") || !strings.Contains(c.RoomID, ":") {
		return ErrBadRoomID
	}
	switch c.MsgType {
	case "":
		c.MsgType = "m.notice"
	case "m.notice", "m.text":
	default:
		return ErrBadMsgType
	}
	return nil
}

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.AccessToken} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	return []notify.ConfigField{
		{Name: "homeserver_url", Label: "Homeserver URL", Type: notify.FieldURL, Required: true, Placeholder: "https://matrix.example.org"},
		{Name: "access_token", Label: "Access token", Type: notify.FieldString, Required: true, Secret: true, Help: "The bot account's access token."},
		{Name: "room_id", Label: "Room id", Type: notify.FieldString, Required: true, Pattern: "!.+:.+", Placeholder: "!abcdef:example.org"},
		{Name: "msgtype", Label: "Message type", Type: notify.FieldEnum, Options: []string{"m.notice", "m.text"}, Default: "m.notice", Help: "m.text makes clients ring."},
	}
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.HomeserverURL) }

// Notifier posts to one room.
type Notifier struct {
	cfg    Config
	client *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a valid config.
func New(cfg Config, client *http.Client, _ *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		client = notify.NewClient()
	}
	return &Notifier{cfg: cfg, client: client}, nil
}

// Event is an m.room.message content with an HTML body.
type Event struct {
	MsgType       string `json:"msgtype"`
	Body          string `json:"body"`
	Format        string `json:"format,omitempty"`
	FormattedBody string `json:"formatted_body,omitempty"`
}

// Payload renders m as plain text and as HTML.
func (n *Notifier) Payload(m *notify.Message) Event {
	head, text := notify.Headline(m), notify.PlainText(m)
	if m.Event == notify.EventTest {
		text = "Channel configured successfully!"
	}
	return Event{MsgType: n.cfg.MsgType, Body: head + "\n" + text, Format: "org.matrix.custom.html",
		FormattedBody: "<strong>" + html.EscapeString(head) + "</strong><br>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")}
}

// TxnID is the transaction ID of m: the same on every attempt of one
// message, so the homeserver drops a redelivery, and different for the
// messages of a new database whose outbox IDs start again.
func TxnID(m *notify.Message) string {
	if m.ID == "" {
		return "homelabcmd-" + homelabcmd.NewGUID()
	}
	return "homelabcmd-" + m.ID + "-" + strconv.FormatInt(m.At.UnixMilli(), 36)
}

// Notify sends the event: PUT /_matrix/client/v3/rooms/{room}/send/
// m.room.message/{txnId} with the token as a bearer token.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(n.Payload(m))
	if err != nil {
		return notify.Permanent("matrix: encode payload")
	}
	u := n.cfg.HomeserverURL + "/_matrix/client/v3/rooms/" + url.PathEscape(n.cfg.RoomID) + "/send/m.room.message/" + url.PathEscape(TxnID(m))
	h := http.Header{}
	h.Set("Authorization", "Bearer "+n.cfg.AccessToken)
	return notify.Send(ctx, n.client, http.MethodPut, u, h, body, n.cfg.AccessToken)
}
