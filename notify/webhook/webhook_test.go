package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/notifytest"
	"github.com/homelabcmd/homelabcmd/notify/webhook"
)

const key = "hmac-key-0123456789-secret"

func newNotifier(t *testing.T, base string) (notify.Notifier, []string) {
	t.Helper()
	url := base + "/hooks/abcSECRETpath?token=qsSECRET"
	n, err := webhook.New(webhook.Config{URL: url, Secret: key}, notify.NewGuard(true).Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n, []string{url, key, "abcSECRETpath", "qsSECRET"}
}

func TestConformance(t *testing.T) { notifytest.Run(t, notifytest.HTTP(newNotifier)) }

func TestSignedPayload(t *testing.T) {
	var body []byte
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		hdr = r.Header.Clone()
	}))
	defer srv.Close()
	n, _ := newNotifier(t, srv.URL)
	m := notifytest.Message()
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if !webhook.Verify(key, body, hdr.Get(webhook.SignatureHeader)) {
		t.Errorf("signature %q does not verify", hdr.Get(webhook.SignatureHeader))
	}
	if webhook.Verify("another-key-0123456789", body, hdr.Get(webhook.SignatureHeader)) {
		t.Error("signature verifies under the wrong key")
	}
	if hdr.Get(webhook.IDHeader) != "42-1" || hdr.Get(webhook.EventHeader) != "opened" {
		t.Errorf("headers = %v", hdr)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"event": "opened", "alert_id": 42.0, "severity": "critical", "server_id": "nas", "actual_value": 97.0, "alert_type": "disk"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := (&webhook.Config{URL: "https://x.lan/h", Secret: "short"}).Validate(); err != webhook.ErrNoSecret {
		t.Errorf("short key: %v", err)
	}
	if err := (&webhook.Config{URL: "x.lan", Secret: key}).Validate(); err != webhook.ErrBadURL {
		t.Errorf("bad url: %v", err)
	}
}
