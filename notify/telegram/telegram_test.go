package telegram_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
	"github.com/homelabcmd/homelabcmd/notify/telegram"
)

const botToken = "123456789:AAHsecretBotToken_0123456789abcdef"

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	n, err := telegram.New(telegram.Config{APIURL: base, BotToken: botToken, ChatID: "-1001234567890"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{botToken}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

// botAPI is a receiver speaking the Bot API's shape: the token in the path,
// {"ok":true,"result":…} on success and {"ok":false,"error_code":…,
// "description":…} otherwise.
func botAPI(t *testing.T, got *telegram.SendMessage) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/bot"+botToken+"/sendMessage" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found: method `+r.URL.Path+`"}`)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, got); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON"}`)
			return
		}
		if got.ChatID == "" || got.Text == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":7,"chat":{"id":-1001234567890},"text":"x"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSendMessage(t *testing.T) {
	var got telegram.SendMessage
	srv := botAPI(t, &got)
	n, _ := newNotifier(t, srv.URL+"/")
	m := notifytest.Message()
	m.Text = "Disk <sda1> & friends at 97%."
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got.ChatID != "-1001234567890" || got.ParseMode != "HTML" || got.DisableNotification {
		t.Errorf("sendMessage = %+v", got)
	}
	if !strings.HasPrefix(got.Text, "<b>Critical: DISK Usage Alert</b>\n") || !strings.Contains(got.Text, "Disk &lt;sda1&gt; &amp; friends") {
		t.Errorf("text = %q", got.Text)
	}
}

func TestWrongTokenIsPermanentAndHidden(t *testing.T) {
	var got telegram.SendMessage
	srv := botAPI(t, &got)
	n, err := telegram.New(telegram.Config{APIURL: srv.URL, BotToken: "999:OtherSecretToken_xyz", ChatID: "@lab"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), notifytest.Message())
	if err == nil || notify.Retryable(err) {
		t.Fatalf("Notify = %v, want a permanent error", err)
	}
	notifytest.AssertNoSecret(t, err, []string{"999:OtherSecretToken_xyz", "OtherSecretToken"})
}

func TestSilentAndLongText(t *testing.T) {
	var got telegram.SendMessage
	srv := botAPI(t, &got)
	n, err := telegram.New(telegram.Config{APIURL: srv.URL, BotToken: botToken, ChatID: "@lab", Silent: true, ThreadID: 3}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message()
	m.Severity = "high"
	m.Text = strings.Repeat("&", 5000)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if !got.DisableNotification || got.ThreadID != 3 {
		t.Errorf("sendMessage = %+v", got)
	}
	if r := []rune(got.Text); len(r) > 4096 || !strings.HasSuffix(got.Text, "&amp;…") {
		t.Errorf("text: %d runes, ends %q", len(r), got.Text[len(got.Text)-12:])
	}
	m.Severity, got = "critical", telegram.SendMessage{} // critical alerts always ring
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got.DisableNotification {
		t.Error("a critical alert was sent silently")
	}
}

func TestValidate(t *testing.T) {
	c := telegram.Config{BotToken: "1:x", ChatID: "5"}
	if err := c.Validate(); err != nil || c.APIURL != telegram.DefaultAPIURL {
		t.Errorf("defaults: %v %q", err, c.APIURL)
	}
	for _, tt := range []struct {
		name string
		cfg  telegram.Config
		want error
	}{
		{"no token", telegram.Config{ChatID: "5"}, telegram.ErrNoBotToken},
		{"token with a slash", telegram.Config{BotToken: "1:x/y", ChatID: "5"}, telegram.ErrNoBotToken},
		{"no chat", telegram.Config{BotToken: "1:x"}, telegram.ErrNoChatID},
		{"bad url", telegram.Config{APIURL: "ftp://x", BotToken: "1:x", ChatID: "5"}, telegram.ErrBadAPIURL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err != tt.want {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}
