package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
)

// Finding 7: channels reached loopback and link-local targets, followed
// redirects and echoed the first 200 bytes of the answer.

func TestDefaultClientRefusesPrivateTargets(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, client := range []*http.Client{nil, (*notify.Guard)(nil).Client(), notify.NewGuard(false).Client()} {
		err := notify.Post(context.Background(), client, srv.URL+"/hook", nil, []byte("{}"))
		if err == nil || notify.Retryable(err) || !strings.Contains(err.Error(), "notify_allow_private") {
			t.Fatalf("POST to loopback: %v (retryable %v), want a permanent refusal naming the setting", err, notify.Retryable(err))
		}
	}
	if hits.Load() != 0 {
		t.Fatal("the loopback receiver was reached")
	}
	// The operator's setting lets it through.
	if err := notify.Post(context.Background(), notify.NewGuard(true).Client(), srv.URL+"/hook", nil, []byte("{}")); err != nil || hits.Load() != 1 {
		t.Fatalf("with notify_allow_private: %v, hits %d", err, hits.Load())
	}
}

func TestCheckHost(t *testing.T) {
	refused := []string{"127.0.0.1", "localhost", "LOCALHOST.", "grafana.localhost", "::1", "[::1]", "10.1.2.3", "192.168.1.10",
		"172.16.0.1", "169.254.169.254", "fe80::1", "fd00::1", "100.100.100.100", "0.0.0.0", "::", "::ffff:127.0.0.1"}
	for _, h := range refused {
		if err := notify.NewGuard(false).CheckHost(h); err == nil {
			t.Errorf("CheckHost(%q) allowed", h)
		}
		if err := notify.NewGuard(true).CheckHost(h); err != nil {
			t.Errorf("with AllowPrivate, CheckHost(%q) = %v", h, err)
		}
	}
	for _, h := range []string{"ntfy.sh", "hooks.slack.com", "1.1.1.1", "2606:4700::1111"} {
		if err := notify.NewGuard(false).CheckHost(h); err != nil {
			t.Errorf("CheckHost(%q) = %v", h, err)
		}
	}
}

func TestNoRedirectsAndNoEchoedBodies(t *testing.T) {
	var inner atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer internal.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte("INTERNAL-PAGE: db password hunter2, build 1234"))
	}))
	defer leaky.Close()
	client := notify.NewGuard(true).Client()

	err := notify.Post(context.Background(), client, redirect.URL+"/hook", nil, []byte("{}"))
	if err == nil || inner.Load() != 0 || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("redirect: err %v, the target was reached %d times", err, inner.Load())
	}
	err = notify.Post(context.Background(), client, leaky.URL+"/hook", nil, []byte("{}"))
	if err == nil || strings.Contains(err.Error(), "INTERNAL") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the answer's body is echoed: %v", err)
	}
	if !notify.Retryable(err) {
		t.Fatalf("a 500 should stay retryable: %v", err)
	}
}
