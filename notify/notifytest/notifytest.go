// Package notifytest is the conformance kit every notification provider
// passes: correct retry classification, no secret in any error, and
// prompt return when the context is cancelled.
package notifytest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Reply is how a test receiver answers a delivery, in HTTP and in SMTP
// terms, and whether the sender must treat the failure as retryable.
type Reply struct {
	Name       string
	HTTPStatus int
	SMTPCode   int
	OK         bool
	Retryable  bool
}

// Replies are the answers every provider is tried against.
var Replies = []Reply{
	{Name: "accepted", HTTPStatus: 200, SMTPCode: 250, OK: true},
	{Name: "accepted 204", HTTPStatus: 204, SMTPCode: 250, OK: true},
	{Name: "rate limited", HTTPStatus: 429, SMTPCode: 421, Retryable: true},
	{Name: "server error", HTTPStatus: 500, SMTPCode: 451, Retryable: true},
	{Name: "bad gateway", HTTPStatus: 502, SMTPCode: 452, Retryable: true},
	{Name: "unavailable", HTTPStatus: 503, SMTPCode: 450, Retryable: true},
	{Name: "bad request", HTTPStatus: 400, SMTPCode: 550},
	{Name: "unauthorized", HTTPStatus: 401, SMTPCode: 535},
	{Name: "forbidden", HTTPStatus: 403, SMTPCode: 554},
	{Name: "not found", HTTPStatus: 404, SMTPCode: 553},
}

// Harness lets the kit drive one provider.
type Harness struct {
	// Start runs a receiver that answers every delivery with r (echoing
	// what it received in any error body, to tempt a leak) and returns a
	// notifier aimed at it and the secrets that notifier holds.
	Start func(t *testing.T, r Reply) (notify.Notifier, []string)
	// Hang runs a receiver that never answers; arrived is closed when a
	// delivery reaches it.
	Hang func(t *testing.T) (n notify.Notifier, arrived <-chan struct{})
	// Unreachable returns a notifier aimed at a closed port.
	Unreachable func(t *testing.T) (notify.Notifier, []string)
}

// Message returns a representative message.
func Message() *notify.Message {
	v, th, d := 97.0, 95.0, int64(600)
	return &notify.Message{ID: "42-1", Event: notify.EventOpened, AlertID: 42, AlertType: "disk", Severity: "critical",
		Title: "Critical Disk usage on nas.lan", Text: "Disk usage on nas.lan is 97%.", ServerID: "nas", ServerName: "nas.lan",
		Value: &v, Threshold: &th, Duration: &d, At: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// Run runs the conformance tests.
func Run(t *testing.T, h Harness) {
	t.Helper()
	for _, r := range Replies {
		t.Run("reply "+r.Name, func(t *testing.T) {
			n, secrets := h.Start(t, r)
			err := n.Notify(context.Background(), Message())
			if r.OK {
				if err != nil {
					t.Fatalf("Notify = %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Notify succeeded against a failing receiver")
			}
			if got := notify.Retryable(err); got != r.Retryable {
				t.Errorf("Retryable(%v) = %v, want %v", err, got, r.Retryable)
			}
			AssertNoSecret(t, err, secrets)
		})
	}
	t.Run("unreachable receiver is retryable and leaks nothing", func(t *testing.T) {
		n, secrets := h.Unreachable(t)
		err := n.Notify(context.Background(), Message())
		if err == nil || !notify.Retryable(err) {
			t.Fatalf("Notify = %v, want a retryable error", err)
		}
		AssertNoSecret(t, err, secrets)
	})
	t.Run("context cancel ends a hanging delivery", func(t *testing.T) {
		n, arrived := h.Hang(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Notify(ctx, Message()) }()
		select {
		case <-arrived:
		case err := <-done:
			t.Fatalf("Notify returned %v before the delivery reached the receiver", err)
		}
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Notify after cancel = %v, want context.Canceled", err)
		}
		if notify.Retryable(err) {
			t.Error("a cancelled delivery was marked retryable")
		}
	})
}

// AssertNoSecret fails when err's text holds any of secrets.
func AssertNoSecret(t *testing.T, err error, secrets []string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatal("the harness declared no secrets; the leak test would prove nothing")
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q leaks secret %q", err, s)
		}
	}
}

// HTTP builds a harness for an HTTP provider: newNotifier aims a notifier at
// baseURL (an httptest server) and returns it with its secrets.
func HTTP(newNotifier func(t *testing.T, baseURL string) (notify.Notifier, []string)) Harness {
	return Harness{
		Start: func(t *testing.T, r Reply) (notify.Notifier, []string) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				w.WriteHeader(r.HTTPStatus)
				if !r.OK { // echo the request, as some services do in their errors
					_, _ = io.WriteString(w, req.URL.String()+" "+strings.Join(req.Header.Values("Authorization"), " ")+" "+
						req.Header.Get("X-Gotify-Key")+" "+string(body))
				}
			}))
			t.Cleanup(srv.Close)
			return newNotifier(t, srv.URL)
		},
		Hang: func(t *testing.T) (notify.Notifier, <-chan struct{}) {
			arrived := make(chan struct{})
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				close(arrived)
				select {
				case <-req.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(func() { close(release); srv.Close() })
			n, _ := newNotifier(t, srv.URL)
			return n, arrived
		},
		Unreachable: func(t *testing.T) (notify.Notifier, []string) {
			return newNotifier(t, "http://"+ClosedAddr(t))
		},
	}
}

// ClosedAddr returns a loopback address where nothing listens.
func ClosedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
