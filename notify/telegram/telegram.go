// Package telegram sends notifications to a Telegram chat through a bot,
// with the Bot API's sendMessage.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Validation errors.
var (
	ErrNoBotToken = errors.New("telegram: bot_token (from @BotFather, like 123456:ABC…) is required")
	ErrNoChatID   = errors.New("telegram: chat_id (a number such as -1001234567890, or @channelname) is required")
	ErrBadAPIURL  = errors.New("telegram: api_url must be an http(s) URL")
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// maxText is sendMessage's limit on a message's text, in characters.
const maxText = 4096

// Config is a Telegram channel. BotToken is a secret.
type Config struct {
	// APIURL is the Bot API server; a self-hosted telegram-bot-api works too.
	APIURL   string `json:"api_url,omitempty"`
	BotToken string `json:"bot_token"`
	ChatID   string `json:"chat_id"`
	// ThreadID sends to a topic of a forum supergroup.
	ThreadID int64 `json:"message_thread_id,omitempty"`
	// Silent delivers without sound; critical alerts always make one.
	Silent bool `json:"silent,omitempty"`
}

// Validate checks the fields and defaults the API URL.
func (c *Config) Validate() error {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrBadAPIURL
	}
	if c.BotToken == "" || strings.ContainsAny(c.BotToken, "/?# ") {
		return ErrNoBotToken
	}
	c.ChatID = strings.TrimSpace(c.ChatID)
	if c.ChatID == "" {
		return ErrNoChatID
	}
	return nil
}

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.BotToken} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	return []notify.ConfigField{
		{Name: "bot_token", Label: "Bot token", Type: notify.FieldString, Required: true, Secret: true, Pattern: "[^/?# ]+", Help: "From @BotFather."},
		{Name: "chat_id", Label: "Chat id", Type: notify.FieldString, Required: true, Help: "A numeric chat id or @channelname."},
		{Name: "message_thread_id", Label: "Topic id", Type: notify.FieldInt, Help: "Send to a topic of a forum supergroup."},
		{Name: "silent", Label: "Silent", Type: notify.FieldBool, Help: "Deliver without sound (critical alerts still ring)."},
		{Name: "api_url", Label: "Bot API URL", Type: notify.FieldURL, Default: DefaultAPIURL, Help: "A self-hosted telegram-bot-api server."},
	}
}

// Target is where the secrets go: the URL's scheme, host and port.
func (c *Config) Target() string { return notify.URLTarget(c.APIURL) }

// Notifier sends to one chat.
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

// SendMessage is the Bot API's sendMessage body.
type SendMessage struct {
	ChatID              string `json:"chat_id"`
	ThreadID            int64  `json:"message_thread_id,omitempty"`
	Text                string `json:"text"`
	ParseMode           string `json:"parse_mode"`
	DisableNotification bool   `json:"disable_notification,omitempty"`
}

// Payload renders the message as HTML: the headline in bold over the
// plain text, escaped, within Telegram's 4096 characters.
func (n *Notifier) Payload(m *notify.Message) SendMessage {
	text := notify.PlainText(m)
	if m.Event == notify.EventTest {
		text = "Channel configured successfully!"
	}
	head := "<b>" + html.EscapeString(notify.Headline(m)) + "</b>\n"
	body := html.EscapeString(text)
	if r := []rune(body); len([]rune(head))+len(r) > maxText {
		// Cut on a rune and never inside an entity such as &amp;.
		body = string(r[:maxText-len([]rune(head))-1])
		if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
			body = body[:i]
		}
		body += "…"
	}
	return SendMessage{ChatID: n.cfg.ChatID, ThreadID: n.cfg.ThreadID, Text: head + body, ParseMode: "HTML",
		DisableNotification: n.cfg.Silent && m.Severity != "critical"}
}

// Notify calls sendMessage. The token is part of the URL path, as the Bot
// API wants it; notify.Send keeps it out of every error.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	body, err := json.Marshal(n.Payload(m))
	if err != nil {
		return notify.Permanent("telegram: encode payload")
	}
	return notify.Post(ctx, n.client, n.cfg.APIURL+"/bot"+n.cfg.BotToken+"/sendMessage", nil, body, n.cfg.BotToken)
}
