// Package client is a small Go client for the homelabcmd hub API, used by the
// agent to send heartbeats and by tests to drive a real hub.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// HeartbeatPath is where agents post their reports.
const HeartbeatPath = "/api/v1/agents/heartbeat"

// maxResponseBytes bounds how much of a hub answer is read.
const maxResponseBytes = 1 << 20

// Client talks to one hub. Set either APIKey (the operator key, sent as
// X-API-Key) or AgentToken with ServerGUID (sent as X-Agent-Token and
// X-Server-GUID); with both set, the agent token is used.
type Client struct {
	BaseURL    string
	APIKey     string
	AgentToken string
	ServerGUID string
	UserAgent  string
	HTTP       *http.Client
}

// New returns a client for the hub at baseURL (a trailing "/" is dropped)
// with a 30 s request timeout.
func New(baseURL string) *Client {
	return &Client{
		BaseURL:   strings.TrimRight(baseURL, "/"),
		UserAgent: "homelabcmd-agent/" + homelabcmd.Version,
		HTTP:      &http.Client{Timeout: 30 * time.Second},
	}
}

// Error is a failed request. Retryable is true for network failures, 5xx and
// 429 (try again later), false for other 4xx (the request itself is wrong or
// not allowed). Error never contains the credential.
type Error struct {
	StatusCode int    // 0 for a network failure
	Code       string // the hub's detail.code, when it sent one
	Message    string
	Retryable  bool
	Err        error // the underlying network error, if any
}

// Error describes the failure without the credential.
func (e *Error) Error() string {
	if e.StatusCode == 0 {
		return "hub unreachable: " + e.Message
	}
	if e.Code != "" {
		return fmt.Sprintf("hub answered %d %s: %s", e.StatusCode, e.Code, e.Message)
	}
	return fmt.Sprintf("hub answered %d: %s", e.StatusCode, e.Message)
}

// Unwrap returns the underlying network error, if any.
func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err is worth retrying later: a network
// failure, a 5xx or a 429. A context cancellation is not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return false
}

// Heartbeat sends hb and returns the hub's answer. Errors are *Error.
func (c *Client) Heartbeat(ctx context.Context, hb *homelabcmd.Heartbeat) (*homelabcmd.HeartbeatResponse, error) {
	body, err := json.Marshal(hb)
	if err != nil {
		return nil, err
	}
	return c.HeartbeatJSON(ctx, body)
}

// HeartbeatJSON sends an already encoded heartbeat (as kept in the agent's
// outbox) and returns the hub's answer. Errors are *Error.
func (c *Client) HeartbeatJSON(ctx context.Context, body []byte) (*homelabcmd.HeartbeatResponse, error) {
	var out homelabcmd.HeartbeatResponse
	if err := c.do(ctx, http.MethodPost, HeartbeatPath, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do sends one request with the credential headers and decodes a 2xx JSON
// answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return &Error{Message: "bad hub URL", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.AgentToken != "" {
		req.Header.Set("X-Agent-Token", c.AgentToken)
		req.Header.Set("X-Server-GUID", c.ServerGUID)
	} else if c.APIKey != "" {
		req.Header.Set("X-API-Key", c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Message: redact(err.Error(), c), Retryable: true, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &Error{StatusCode: resp.StatusCode, Message: "reading the answer: " + err.Error(), Retryable: true, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{StatusCode: resp.StatusCode, Message: "the answer is not the expected JSON: " + err.Error(), Retryable: true, Err: err}
		}
	}
	return nil
}

// statusError builds an *Error from a non-2xx answer in either of the hub's
// error shapes: {"detail":{"code","message"}} or {"detail":[{"loc","msg"}]}.
func statusError(status int, raw []byte) *Error {
	e := &Error{StatusCode: status, Retryable: status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout}
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(raw, &body) == nil && len(body.Detail) > 0 {
		var one struct{ Code, Message string }
		var list []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		switch {
		case json.Unmarshal(body.Detail, &one) == nil && one.Message != "":
			e.Code, e.Message = one.Code, one.Message
		case json.Unmarshal(body.Detail, &list) == nil && len(list) > 0:
			e.Code = "VALIDATION_ERROR"
			e.Message = fmt.Sprintf("%v: %s", list[0].Loc, list[0].Msg)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// redact removes the credentials from a text that might echo a request.
func redact(s string, c *Client) string {
	for _, secret := range []string{c.APIKey, c.AgentToken} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// Open sends a GET with the credential headers and returns the body of a
// 2xx answer for the caller to read and close (a download); other answers
// are an *Error as from every other call. hc overrides c.HTTP (a download
// may need a longer timeout).
func (c *Client) Open(ctx context.Context, hc *http.Client, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return nil, &Error{Message: "bad hub URL", Err: err}
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.AgentToken != "" {
		req.Header.Set("X-Agent-Token", c.AgentToken)
		req.Header.Set("X-Server-GUID", c.ServerGUID)
	} else if c.APIKey != "" {
		req.Header.Set("X-API-Key", c.APIKey)
	}
	if hc == nil {
		hc = c.HTTP
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Message: redact(err.Error(), c), Retryable: true, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		return nil, statusError(resp.StatusCode, raw)
	}
	return resp.Body, nil
}
