// Package checks runs the checks the hub hands the agent (HTTP, TCP, DNS,
// ping, TLS certificate expiry) on their own schedule and puts their
// results into heartbeats. A check does only what it describes: no
// scripts, no shell.
package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// maxBody bounds what an HTTP check reads of a body for its keyword or
// JSON path.
const maxBody = 1 << 20

// Prober runs one check. Its zero value is ready; Now and Ping are for
// tests.
type Prober struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Pinger sends one ICMP echo; nil uses ICMP when the system allows it.
	Pinger func(ctx context.Context, host string) (time.Duration, error)
	// From names the agent's server in the User-Agent of HTTP checks, so
	// the target's access log shows which machine probed.
	From string
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Probe runs spec once within its timeout and returns the result.
func (p *Prober) Probe(ctx context.Context, spec homelabcmd.CheckSpec) homelabcmd.CheckResult {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(max(spec.TimeoutSeconds, 1))*time.Second)
	defer cancel()
	r := homelabcmd.CheckResult{CheckID: spec.ID, Status: homelabcmd.CheckUp}
	start := time.Now()
	var err error
	switch spec.Type {
	case homelabcmd.CheckHTTP:
		err = p.http(ctx, spec, &r)
	case homelabcmd.CheckTCP:
		var c net.Conn
		if c, err = (&net.Dialer{}).DialContext(ctx, "tcp", spec.Target); err == nil {
			c.Close()
		}
	case homelabcmd.CheckDNS:
		err = dnsCheck(ctx, spec)
	case homelabcmd.CheckPing:
		err = p.ping(ctx, spec.Target, &r)
	case homelabcmd.CheckTLS:
		err = p.tls(ctx, spec, &r)
	default:
		err = fmt.Errorf("unknown check type %q", spec.Type)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	r.LatencyMS, r.CheckedAt = &ms, p.now().UTC()
	if err != nil {
		msg := err.Error()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("timed out after %ds: %s", spec.TimeoutSeconds, msg)
		}
		r.Status, r.Error = homelabcmd.CheckDown, &msg
	}
	return r
}

var (
	verifying = &http.Transport{DisableKeepAlives: true, Proxy: nil, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	skipping  = &http.Transport{DisableKeepAlives: true, Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // the operator turned verification off for this check
)

func (p *Prober) http(ctx context.Context, spec homelabcmd.CheckSpec, r *homelabcmd.CheckResult) error {
	var body io.Reader
	if spec.Method == http.MethodPost {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, spec.Method, spec.Target, body)
	if err != nil {
		return err
	}
	ua := "homelabcmd-agent/" + homelabcmd.Version + " (check"
	if p.From != "" {
		ua += " from " + p.From
	}
	req.Header.Set("User-Agent", ua+")")
	for k, v := range spec.Headers {
		req.Header.Set(k, v)
	}
	if h := spec.Headers["Host"]; h != "" {
		req.Host = h
	}
	tr := verifying
	if spec.SkipTLSVerify {
		tr = skipping
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if !spec.FollowRedirects {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	r.StatusCode = &code
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		exp := resp.TLS.PeerCertificates[0].NotAfter.UTC()
		r.CertExpiresAt = &exp
	}
	if ok := slices.Contains(spec.ExpectedStatus, code) || len(spec.ExpectedStatus) == 0 && code >= 200 && code < 400; !ok {
		return fmt.Errorf("HTTP status %d", code)
	}
	if spec.Keyword == "" && spec.JSONPath == "" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if spec.Keyword != "" {
		if !bytes.Contains(b, []byte(spec.Keyword)) {
			return fmt.Errorf("keyword %q not found in the body", spec.Keyword)
		}
		return nil
	}
	got, err := jsonPath(b, spec.JSONPath)
	if err != nil {
		return err
	}
	if spec.JSONValue != "" && got != spec.JSONValue {
		return fmt.Errorf("%s is %q, not %q", spec.JSONPath, clip(got, 80), spec.JSONValue)
	}
	return nil
}

// jsonPath returns the value at a dot-separated path ("data.items.0.ok")
// as text: strings as they are, other values as JSON.
func jsonPath(body []byte, path string) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("the body is not JSON: %v", err)
	}
	for _, key := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[key]
			if !ok {
				return "", fmt.Errorf("%s: no %q in the JSON body", path, key)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				return "", fmt.Errorf("%s: no element %q in the JSON body", path, key)
			}
			v = node[i]
		default:
			return "", fmt.Errorf("%s: %q is below a value that is not an object or a list", path, key)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, _ := json.Marshal(v)
	return string(b), nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// tls connects, reads the leaf certificate's expiry and compares the days
// left with the check's thresholds: warn within WarnDays, down within
// CriticalDays (or when the chain does not verify, unless told not to).
func (p *Prober) tls(ctx context.Context, spec homelabcmd.CheckSpec, r *homelabcmd.CheckResult) error {
	host, _, _ := net.SplitHostPort(spec.Target)
	d := tls.Dialer{Config: &tls.Config{ServerName: host, InsecureSkipVerify: spec.SkipTLSVerify, MinVersion: tls.VersionTLS12}} //nolint:gosec // the operator's choice
	c, err := d.DialContext(ctx, "tcp", spec.Target)
	if err != nil {
		return err
	}
	defer c.Close()
	certs := c.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return errors.New("no certificate")
	}
	exp := certs[0].NotAfter.UTC()
	r.CertExpiresAt = &exp
	left := exp.Sub(p.now())
	days := left.Hours() / 24
	switch {
	case left <= 0:
		return fmt.Errorf("certificate expired on %s", exp.Format(time.DateOnly))
	case days <= float64(spec.CriticalDays):
		return fmt.Errorf("certificate expires in %.1f days (%s), within %d", days, exp.Format(time.DateOnly), spec.CriticalDays)
	case days <= float64(spec.WarnDays):
		msg := fmt.Sprintf("certificate expires in %.1f days (%s), within %d", days, exp.Format(time.DateOnly), spec.WarnDays)
		r.Status, r.Error = homelabcmd.CheckWarn, &msg
	}
	return nil
}
