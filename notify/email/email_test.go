package email_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/email"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
)

const password = "smtp-Secret-Password-42"

// smtpServer is a tiny SMTP receiver: it accepts AUTH PLAIN, MAIL, RCPT and
// DATA, answers the end of DATA with code, and records each message.
type smtpServer struct {
	ln   net.Listener
	code int
	mu   sync.Mutex
	msgs []string
	auth []string
	hang chan struct{} // when non-nil: accept, close it, never greet
}

func startSMTP(t *testing.T, code int, hang bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, code: code}
	if hang {
		s.hang = make(chan struct{})
	}
	t.Cleanup(func() { ln.Close() })
	go s.serve()
	return s
}

func (s *smtpServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if s.hang != nil {
			close(s.hang)
			go func() { _, _ = c.Read(make([]byte, 1)); c.Close() }()
			continue
		}
		go s.session(c)
	}
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(f string, a ...any) { fmt.Fprintf(c, f+"\r\n", a...) }
	say("220 localhost ESMTP test")
	var auth string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.Fields(line + " x")[0])
		switch cmd {
		case "EHLO", "HELO":
			say("250-localhost\r\n250 AUTH PLAIN")
		case "AUTH":
			parts := strings.Fields(line)
			b, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			auth = string(b)
			s.mu.Lock()
			s.auth = append(s.auth, auth)
			s.mu.Unlock()
			say("235 2.7.0 ok")
		case "MAIL", "RCPT":
			say("250 ok")
		case "DATA":
			say("354 go ahead")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, msg.String())
			s.mu.Unlock()
			if s.code == 250 {
				say("250 queued")
			} else { // echo the credentials, to tempt a leak
				say("%d rejected for %q", s.code, auth)
			}
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func newNotifier(t *testing.T, addr string) notify.Notifier {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	n, err := email.New(email.Config{Host: host, Port: p, Username: "hub", Password: password, From: "hub@home.lan",
		To: []string{"me@home.lan", "you@home.lan"}, TLS: email.TLSNone}, notify.NewGuard(true).Dialer(), nil) // the test server is on loopback
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, notifytest.Harness{
		Start: func(t *testing.T, r notifytest.Reply) (notify.Notifier, []string) {
			s := startSMTP(t, r.SMTPCode, false)
			return newNotifier(t, s.ln.Addr().String()), []string{password}
		},
		Hang: func(t *testing.T) (notify.Notifier, <-chan struct{}) {
			s := startSMTP(t, 250, true)
			return newNotifier(t, s.ln.Addr().String()), s.hang
		},
		Unreachable: func(t *testing.T) (notify.Notifier, []string) {
			return newNotifier(t, notifytest.ClosedAddr(t)), []string{password}
		},
	})
}

func TestMessage(t *testing.T) {
	s := startSMTP(t, 250, false)
	n := newNotifier(t, s.ln.Addr().String())
	m := notifytest.Message()
	m.Title = "evil\r\nBcc: attacker@x"
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) != 1 || len(s.auth) != 1 || s.auth[0] != "\x00hub\x00"+password {
		t.Fatalf("msgs %d, auth %q", len(s.msgs), s.auth)
	}
	msg := s.msgs[0]
	for _, want := range []string{"From: hub@home.lan\r\n", "To: me@home.lan, you@home.lan\r\n",
		"Subject: [homelabcmd] Critical: DISK Usage Alert - evil  Bcc: attacker@x\r\n", "Message-ID: <42-1@homelabcmd>\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n", "\r\n\r\nDisk usage on nas.lan is 97%.\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\r\nBcc:") {
		t.Error("header injection through the title")
	}
}

func TestValidate(t *testing.T) {
	ok := email.Config{Host: "mail.lan", From: "a@b.c", To: []string{"d@e.f"}}
	if err := ok.Validate(); err != nil || ok.Port != 587 || ok.TLS != email.TLSStartTLS {
		t.Errorf("defaults: %v %+v", err, ok)
	}
	for _, c := range []struct {
		cfg  email.Config
		want error
	}{
		{email.Config{From: "a@b.c", To: []string{"d@e.f"}}, email.ErrNoHost},
		{email.Config{Host: "h", From: "nope", To: []string{"d@e.f"}}, email.ErrBadFrom},
		{email.Config{Host: "h", From: "a@b.c"}, email.ErrBadTo},
		{email.Config{Host: "h", From: "a@b.c", To: []string{"d@e.f"}, TLS: "ssl"}, email.ErrBadTLS},
		{email.Config{Host: "h", From: "a@b.c", To: []string{"d@e.f"}, Port: 70000}, email.ErrBadPort},
	} {
		if err := c.cfg.Validate(); err != c.want {
			t.Errorf("Validate(%+v) = %v, want %v", c.cfg, err, c.want)
		}
	}
}
