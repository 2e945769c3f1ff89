// Package email sends notifications by SMTP with net/smtp: STARTTLS (the
// default), implicit TLS or, for a relay on the local network, none.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd/notify"
)

// TLS modes.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Validation errors.
var (
	ErrNoHost    = errors.New("email: host is required")
	ErrBadPort   = errors.New("email: port must be 1-65535")
	ErrBadFrom   = errors.New("email: from must be an e-mail address")
	ErrBadTo     = errors.New("email: to must list at least one e-mail address")
	ErrBadTLS    = errors.New("email: tls must be starttls, tls or none")
	ErrNoAuthTLS = errors.New("email: a password needs tls or starttls (or a relay on localhost)")
)

// Config is an e-mail channel. Password is a secret.
type Config struct {
	Host     string   `json:"host"`
	Port     int      `json:"port,omitempty"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	TLS      string   `json:"tls,omitempty"`
}

// Validate checks the fields and defaults TLS to starttls and the port to
// 587 (465 for implicit TLS).
func (c *Config) Validate() error {
	if c.Host == "" {
		return ErrNoHost
	}
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.TLS != TLSStartTLS && c.TLS != TLSImplicit && c.TLS != TLSNone {
		return ErrBadTLS
	}
	if c.Port == 0 {
		c.Port = 587
		if c.TLS == TLSImplicit {
			c.Port = 465
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		return ErrBadPort
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" {
		return ErrBadFrom
	}
	if len(c.To) == 0 {
		return ErrBadTo
	}
	for _, to := range c.To {
		if a, err := mail.ParseAddress(to); err != nil || a.Name != "" {
			return ErrBadTo
		}
	}
	return nil
}

// Secrets points at the secret fields.
func (c *Config) Secrets() []*string { return []*string{&c.Password} }

// Fields describes the config for the dashboard's form.
func (*Config) Fields() []notify.ConfigField {
	minPort, maxPort := notify.IntRange(1, 65535)
	return []notify.ConfigField{
		{Name: "host", Label: "SMTP host", Type: notify.FieldString, Required: true, Placeholder: "smtp.example.org"},
		{Name: "port", Label: "Port", Type: notify.FieldInt, Min: minPort, Max: maxPort, Help: "587 with STARTTLS, 465 with TLS when empty."},
		{Name: "tls", Label: "Encryption", Type: notify.FieldEnum, Options: []string{TLSStartTLS, TLSImplicit, TLSNone}, Default: TLSStartTLS},
		{Name: "username", Label: "Username", Type: notify.FieldString},
		{Name: "password", Label: "Password", Type: notify.FieldString, Secret: true},
		{Name: "from", Label: "From", Type: notify.FieldString, Required: true, Placeholder: "homelab@example.org", Help: "A bare address, no display name."},
		{Name: "to", Label: "To", Type: notify.FieldList, Required: true, Placeholder: "me@example.org, partner@example.org", Help: "One or more addresses, comma-separated."},
	}
}

// Target is where the password goes: the SMTP server's host and port.
func (c *Config) Target() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Notifier sends to one list of recipients.
type Notifier struct {
	cfg    Config
	logger *slog.Logger
	dialer *net.Dialer
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a notifier for a valid config that connects through dialer
// (nil: the default guard's, which refuses private addresses).
func New(cfg Config, dialer *net.Dialer, logger *slog.Logger) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if dialer == nil {
		dialer = (*notify.Guard)(nil).Dialer()
	}
	return &Notifier{cfg: cfg, logger: logger, dialer: dialer}, nil
}

// Notify sends one e-mail. SMTP 4xx replies and network errors are
// retryable, 5xx replies are not; a cancelled ctx closes the connection.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	err := n.send(ctx, m)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return notify.Cancelled(ctx)
	}
	var ne *notify.Error
	if errors.As(err, &ne) {
		return ne
	}
	text := notify.Scrub(err.Error(), n.cfg.Password)
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &notify.Error{Retryable: tp.Code >= 400 && tp.Code < 500, Msg: "email: SMTP " + strconv.Itoa(tp.Code) + ": " + notify.Scrub(tp.Msg, n.cfg.Password)}
	}
	return notify.Temporary("email: %s", text)
}

func (n *Notifier) send(ctx context.Context, m *notify.Message) error {
	addr := net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port))
	conn, err := n.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	if n.cfg.TLS == TLSImplicit {
		conn = tls.Client(conn, &tls.Config{ServerName: n.cfg.Host, MinVersion: tls.VersionTLS12})
	}
	c, err := smtp.NewClient(conn, n.cfg.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if n.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return notify.Permanent("email: the server does not offer STARTTLS")
		}
		if err := c.StartTLS(&tls.Config{ServerName: n.cfg.Host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if n.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", n.cfg.Username, n.cfg.Password, n.cfg.Host)); err != nil {
			var tp *textproto.Error
			if errors.As(err, &tp) {
				return err
			}
			return notify.Permanent("email: authentication refused by the client: %s", notify.Scrub(err.Error(), n.cfg.Password))
		}
	}
	if err := c.Mail(n.cfg.From); err != nil {
		return err
	}
	for _, to := range n.cfg.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(n.Render(m)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Render returns the RFC 5322 message: headers, then the plain-text body.
func (n *Notifier) Render(m *notify.Message) []byte {
	subject := "[homelabcmd] " + notify.Headline(m)
	if m.Title != "" && m.Event != notify.EventTest {
		subject += " - " + m.Title
	}
	var b strings.Builder
	hdr := func(k, v string) {
		fmt.Fprintf(&b, "%s: %s\r\n", k, strings.NewReplacer("\r", " ", "\n", " ").Replace(v))
	}
	hdr("From", n.cfg.From)
	hdr("To", strings.Join(n.cfg.To, ", "))
	hdr("Subject", subject)
	hdr("Date", m.At.UTC().Format(time.RFC1123Z))
	if m.ID != "" {
		hdr("Message-ID", "<"+m.ID+"@homelabcmd>")
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	body := notify.PlainText(m)
	if m.Event == notify.EventTest {
		body = "This channel is configured correctly."
	}
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	return []byte(b.String())
}
