package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/httpapi"
)

// Finding 8: the configured API key was printed at every start. Only a key
// generated on this very start is shown (once, as the README says).
func TestWelcomeNeverPrintsAConfiguredKey(t *testing.T) {
	const key = "configured-operator-key-0123456789"
	var out strings.Builder
	h := &Hub{Config: &config.Hub{Host: "127.0.0.1", APIKey: key}, APIKey: key, Stdout: &out,
		HTTP: httpapi.NewServer(nil, nil, "", nil, slog.New(slog.DiscardHandler))}
	h.printWelcome(context.Background())
	if strings.Contains(out.String(), key) || !strings.Contains(out.String(), "<your API key>") {
		t.Fatalf("welcome text:\n%s", out.String())
	}
	const generated = "hlh_key_generated0123456789abcdef"
	out.Reset()
	h = &Hub{Config: &config.Hub{Host: "127.0.0.1"}, APIKey: generated, Stdout: &out, HTTP: h.HTTP}
	h.printWelcome(context.Background())
	if !strings.Contains(out.String(), generated) {
		t.Fatalf("a generated key is shown once on its first start:\n%s", out.String())
	}
}
