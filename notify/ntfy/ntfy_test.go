package ntfy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
	"github.com/homelabcmd/homelabcmd/notify/ntfy"
)

const secretToken = "tk_secretntfytoken0123456789"

func TestConformance(t *testing.T) {
	notifytest.Run(t, notifytest.HTTP(func(t *testing.T, base string) (notify.Notifier, []string) {
		n, err := ntfy.New(ntfy.Config{ServerURL: base, Topic: "homelab", Token: secretToken}, notify.NewGuard(true).Client(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return n, []string{secretToken}
	}))
}

func TestConformanceBasicAuth(t *testing.T) {
	notifytest.Run(t, notifytest.HTTP(func(t *testing.T, base string) (notify.Notifier, []string) {
		n, err := ntfy.New(ntfy.Config{ServerURL: base, Topic: "homelab", Username: "me", Password: "hunter2-but-longer"}, notify.NewGuard(true).Client(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return n, []string{"hunter2-but-longer"}
	}))
}

func TestPayload(t *testing.T) {
	var got ntfy.Publish
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		auth = r.Header.Get("Authorization")
		if r.URL.Path != "/" {
			t.Errorf("path = %s, want / (JSON publishing)", r.URL.Path)
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
	}))
	defer srv.Close()
	n, err := ntfy.New(ntfy.Config{ServerURL: srv.URL + "/", Topic: "homelab", Token: secretToken}, notify.NewGuard(true).Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), notifytest.Message()); err != nil {
		t.Fatal(err)
	}
	if got.Topic != "homelab" || got.Title != "Critical: DISK Usage Alert" || got.Priority != 5 || len(got.Tags) != 1 || got.Message == "" {
		t.Errorf("publish = %+v", got)
	}
	if auth != "Bearer "+secretToken {
		t.Errorf("Authorization = %q", auth)
	}
}

func TestValidate(t *testing.T) {
	c := ntfy.Config{Topic: "x"}
	if err := c.Validate(); err != nil || c.ServerURL != ntfy.DefaultServerURL {
		t.Errorf("defaults: %v %q", err, c.ServerURL)
	}
	for _, c := range []ntfy.Config{{}, {Topic: "a/b"}, {Topic: "x", Token: "t", Username: "u"}, {Topic: "x", ServerURL: "nope"}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
	}
}
