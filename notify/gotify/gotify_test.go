package gotify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/gotify"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
)

const appToken = "AbCdEfSecretGotify"

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	n, err := gotify.New(gotify.Config{ServerURL: base, Token: appToken}, notify.NewGuard(true).Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{appToken}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

func TestPayload(t *testing.T) {
	var got gotify.Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/message" || r.URL.RawQuery != "" || r.Header.Get("X-Gotify-Key") != appToken {
			t.Errorf("request %s?%s key %q", r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Gotify-Key"))
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
	}))
	defer srv.Close()
	n, _ := newNotifier(t, srv.URL)
	m := notifytest.Message()
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got.Title != "Critical: DISK Usage Alert" || got.Priority != 8 || got.Message == "" || got.Extras == nil {
		t.Errorf("message = %+v", got)
	}
	m.Event = notify.EventResolved
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got.Priority != 2 || got.Title != "Resolved: DISK Usage Alert" {
		t.Errorf("resolved message = %+v", got)
	}
}

func TestValidate(t *testing.T) {
	if err := (&gotify.Config{ServerURL: "https://g.lan"}).Validate(); err != gotify.ErrNoToken {
		t.Errorf("no token: %v", err)
	}
	if err := (&gotify.Config{Token: "x"}).Validate(); err != gotify.ErrBadServerURL {
		t.Errorf("no url: %v", err)
	}
}
