package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// NewClient returns an HTTP client with a 10 s timeout.
func NewClient() *http.Client { return &http.Client{Timeout: 10 * 1e9} }

// Post sends body to rawURL and classifies the answer: 2xx is success,
// 429 and 5xx are retryable, other statuses are permanent. Network errors
// are retryable. secrets are removed from every error text, and the URL
// never appears in one.
func Post(ctx context.Context, client *http.Client, rawURL string, header http.Header, body []byte, secrets ...string) error {
	return Send(ctx, client, http.MethodPost, rawURL, header, body, secrets...)
}

// Send is Post with another method (Matrix sends with PUT).
func Send(ctx context.Context, client *http.Client, method, rawURL string, header http.Header, body []byte, secrets ...string) error {
	if client == nil {
		client = NewClient()
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return Permanent("build request to %s", RedactURL(rawURL))
	}
	// The URL's path, query and user info may hold a token: scrub them too.
	if len(req.URL.Path) > 1 {
		secrets = append(secrets, req.URL.Path, strings.TrimPrefix(req.URL.Path, "/"))
	}
	secrets = append(secrets, req.URL.RawQuery)
	if req.URL.User != nil {
		secrets = append(secrets, req.URL.User.String())
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Cancelled(ctx)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error prints the URL, which may hold a secret
		}
		return Temporary("%s %s: %s", method, RedactURL(rawURL), Scrub(err.Error(), secrets...))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	text := strings.TrimSpace(Scrub(string(snippet), secrets...))
	if len(text) > 200 {
		text = text[:200]
	}
	e := &Error{Msg: method + " " + RedactURL(rawURL) + ": HTTP " + resp.Status, Retryable: resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500}
	if text != "" {
		e.Msg += ": " + text
	}
	return e
}

// Mask replaces a secret wherever it is shown.
const Mask = "********"

// Scrub removes every non-empty secret, plain or URL-escaped, from s.
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, v := range []string{sec, url.PathEscape(sec), url.QueryEscape(sec)} {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return s
}

// RedactURL keeps a URL's scheme and host and hides its path, query and
// user info, where webhook tokens live.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Mask
	}
	if u.Path == "" || u.Path == "/" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/" + Mask
}
