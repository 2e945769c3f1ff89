package discord_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/discord"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
)

const token = "123456/abcdefSECRETtoken"

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	n, err := discord.New(discord.Config{WebhookURL: base + "/api/webhooks/" + token}, notify.NewGuard(true).Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{base + "/api/webhooks/" + token, token}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

func TestPayload(t *testing.T) {
	var got discord.Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n, _ := newNotifier(t, srv.URL)
	if err := n.Notify(context.Background(), notifytest.Message()); err != nil {
		t.Fatal(err)
	}
	if got.Username != "HomelabCmd" || len(got.Embeds) != 1 {
		t.Fatalf("message = %+v", got)
	}
	e := got.Embeds[0]
	if e.Title != "Critical: DISK Usage Alert" || e.Color != 0xF87171 || e.Description != "Disk usage on nas.lan is 97%." ||
		e.Timestamp != "2026-03-01T12:00:00Z" || e.Footer == nil || len(e.Fields) != 4 || e.Fields[1].Value != "97%" {
		t.Errorf("embed = %+v", e)
	}
}

func TestValidate(t *testing.T) {
	if err := (&discord.Config{}).Validate(); err != discord.ErrNoWebhookURL {
		t.Errorf("empty config: %v", err)
	}
	if err := (&discord.Config{WebhookURL: "discord.com/x"}).Validate(); err != discord.ErrBadWebhookURL {
		t.Errorf("no scheme: %v", err)
	}
}
