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

// NewClient returns the default guarded client: private addresses
// refused, redirects not followed, 10 s timeout.
func NewClient() *http.Client { return defaultGuard.Client() }

// Post sends body to rawURL and classifies the answer: 2xx is success,
// 429 and 5xx are retryable, other statuses (a redirect too) are
// permanent. Network errors are retryable, except a refused address. The
// answer's body is never quoted in the error (it may be an internal
// service's page); secrets are removed from every error text, and the URL
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
		if errors.Is(err, ErrPrivateTarget) {
			return Permanent("%s %s: %s", method, RedactURL(rawURL), ErrPrivateTarget.Error())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error prints the URL, which may hold a secret
		}
		return Temporary("%s %s: %s", method, RedactURL(rawURL), Scrub(err.Error(), secrets...))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := method + " " + RedactURL(rawURL) + ": HTTP " + resp.Status
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (" + ErrRedirect.Error() + ")"
	}
	return &Error{Msg: msg, Retryable: resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500}
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

// URLTarget is a URL's scheme, host and port ("" when it does not parse):
// what must stay the same for a stored secret to be sent on.
func URLTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
