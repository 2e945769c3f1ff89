package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestHeartbeatHeadersAndResponse(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(c *Client)
		wantHeader map[string]string
		noHeader   []string
	}{
		{"api key", func(c *Client) { c.APIKey = "k-123456789012345" },
			map[string]string{"X-API-Key": "k-123456789012345"}, []string{"X-Agent-Token", "X-Server-GUID"}},
		{"agent token wins over key", func(c *Client) {
			c.APIKey, c.AgentToken, c.ServerGUID = "k-123456789012345", "hlh_ag_tok", "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
		}, map[string]string{"X-Agent-Token": "hlh_ag_tok", "X-Server-GUID": "a1b2c3d4-e5f6-4890-abcd-ef1234567890"}, []string{"X-API-Key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got homelabcmd.Heartbeat
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "POST" || r.URL.Path != HeartbeatPath {
					t.Errorf("request %s %s", r.Method, r.URL.Path)
				}
				for k, v := range tt.wantHeader {
					if r.Header.Get(k) != v {
						t.Errorf("header %s = %q, want %q", k, r.Header.Get(k), v)
					}
				}
				for _, k := range tt.noHeader {
					if r.Header.Get(k) != "" {
						t.Errorf("header %s sent", k)
					}
				}
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
					t.Error(err)
				}
				w.Write([]byte(`{"status":"ok","server_registered":true,"pending_commands":[],"results_acknowledged":[],"expected_services":["plex","nginx"]}`))
			}))
			defer srv.Close()
			c := New(srv.URL + "/")
			tt.setup(c)
			ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			resp, err := c.Heartbeat(context.Background(), &homelabcmd.Heartbeat{ServerID: "nas", Hostname: "nas", Timestamp: homelabcmd.Time{Time: ts}})
			if err != nil {
				t.Fatal(err)
			}
			if !resp.ServerRegistered || strings.Join(resp.ExpectedServices, ",") != "plex,nginx" {
				t.Fatalf("response %+v", resp)
			}
			if got.ServerID != "nas" || !got.Timestamp.Equal(ts) {
				t.Fatalf("hub got %+v", got)
			}
		})
	}
}

func TestErrorsRetryableOrPermanent(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		retryable bool
		wantMsg   string
	}{
		{"500", 500, `{"detail":{"code":"INTERNAL_ERROR","message":"Internal error."}}`, true, "Internal error."},
		{"503 no body", 503, ``, true, "Service Unavailable"},
		{"429", 429, `{}`, true, "Too Many Requests"},
		{"401", 401, `{"detail":{"code":"UNAUTHORIZED","message":"Invalid or missing authentication"}}`, false, "Invalid or missing authentication"},
		{"403", 403, `{"detail":{"code":"FORBIDDEN","message":"inactive"}}`, false, "inactive"},
		{"422 list", 422, `{"detail":[{"type":"value_error","loc":["body","services",0,"status"],"msg":"bad"}]}`, false, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := New(srv.URL)
			c.APIKey = "secret-key-000000000"
			_, err := c.HeartbeatJSON(context.Background(), []byte(`{}`))
			var e *Error
			if !errors.As(err, &e) || e.StatusCode != tt.status {
				t.Fatalf("err %v", err)
			}
			if IsRetryable(err) != tt.retryable {
				t.Fatalf("retryable = %v, want %v", IsRetryable(err), tt.retryable)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "secret-key") {
				t.Fatalf("message %q", err.Error())
			}
		})
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := New(url)
	c.APIKey = "secret-key-000000000"
	_, err := c.HeartbeatJSON(context.Background(), []byte(`{}`))
	if !IsRetryable(err) || strings.Contains(err.Error(), "secret-key") {
		t.Fatalf("err %v retryable %v", err, IsRetryable(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.HeartbeatJSON(ctx, []byte(`{}`)); IsRetryable(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
