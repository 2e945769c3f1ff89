package checks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/icmpx"
)

func probe(t *testing.T, s homelabcmd.CheckSpec) homelabcmd.CheckResult {
	t.Helper()
	if s.TimeoutSeconds == 0 {
		s.TimeoutSeconds = 2
	}
	if s.Method == "" && s.Type == homelabcmd.CheckHTTP {
		s.Method = "GET"
	}
	s.ID = 1
	var p Prober
	return p.Probe(context.Background(), s)
}

func errText(r homelabcmd.CheckResult) string {
	if r.Error == nil {
		return ""
	}
	return *r.Error
}

func TestHTTPCheck(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "" {
			w.Header().Set("X-Seen", r.Header.Get("X-Probe"))
		}
		w.Write([]byte(`{"status":{"healthy":true,"name":"plex"},"items":[{"id":7}]}`))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "yes" {
			http.Error(w, "no header", 400)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		spec       homelabcmd.CheckSpec
		status     string
		code       int
		errContain string
	}{
		{name: "200", spec: spec(srv.URL + "/ok"), status: "up", code: 200},
		{name: "500", spec: spec(srv.URL + "/fail"), status: "down", code: 500, errContain: "HTTP status 500"},
		{name: "500 expected", spec: with(spec(srv.URL+"/fail"), func(o *homelabcmd.CheckOptions) { o.ExpectedStatus = []int{500} }), status: "up", code: 500},
		{name: "slow", spec: homelabcmd.CheckSpec{Type: "http", Target: srv.URL + "/slow", TimeoutSeconds: 1}, status: "down", errContain: "timed out after 1s"},
		{name: "keyword found", spec: with(spec(srv.URL+"/ok"), func(o *homelabcmd.CheckOptions) { o.Keyword = `"healthy":true` }), status: "up", code: 200},
		{name: "keyword missing", spec: with(spec(srv.URL+"/ok"), func(o *homelabcmd.CheckOptions) { o.Keyword = "goodbye" }), status: "down", code: 200, errContain: `keyword "goodbye" not found`},
		{name: "json path", spec: with(spec(srv.URL+"/ok"), func(o *homelabcmd.CheckOptions) { o.JSONPath, o.JSONValue = "status.healthy", "true" }), status: "up", code: 200},
		{name: "json path list", spec: with(spec(srv.URL+"/ok"), func(o *homelabcmd.CheckOptions) { o.JSONPath, o.JSONValue = "items.0.id", "7" }), status: "up", code: 200},
		{name: "json path wrong value", spec: with(spec(srv.URL+"/ok"), func(o *homelabcmd.CheckOptions) { o.JSONPath, o.JSONValue = "status.name", "sonarr" }), status: "down", code: 200, errContain: `status.name is "plex", not "sonarr"`},
		{name: "json path missing", spec: with(spec(srv.URL+"/ok"), func(o *homelabcmd.CheckOptions) { o.JSONPath = "status.nope" }), status: "down", code: 200, errContain: `no "nope"`},
		{name: "redirect not followed", spec: with(spec(srv.URL+"/moved"), func(o *homelabcmd.CheckOptions) { o.ExpectedStatus = []int{200} }), status: "down", code: 302},
		{name: "redirect followed", spec: with(spec(srv.URL+"/moved"), func(o *homelabcmd.CheckOptions) { o.ExpectedStatus, o.FollowRedirects = []int{200}, true }), status: "up", code: 200},
		{name: "headers sent", spec: with(spec(srv.URL+"/header"), func(o *homelabcmd.CheckOptions) { o.Headers = map[string]string{"X-Probe": "yes"} }), status: "up", code: 200},
		{name: "headers missing", spec: spec(srv.URL + "/header"), status: "down", code: 400},
		{name: "refused", spec: spec("http://" + closedAddr(t) + "/"), status: "down", errContain: "refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := probe(t, tc.spec)
			if r.Status != tc.status || !strings.Contains(errText(r), tc.errContain) {
				t.Fatalf("status %s error %q, want %s with %q", r.Status, errText(r), tc.status, tc.errContain)
			}
			if tc.code != 0 && (r.StatusCode == nil || *r.StatusCode != tc.code) {
				t.Fatalf("status code %v, want %d", r.StatusCode, tc.code)
			}
			if r.LatencyMS == nil || r.CheckedAt.IsZero() {
				t.Fatalf("no latency or time: %+v", r)
			}
		})
	}
}

func spec(url string) homelabcmd.CheckSpec {
	s := homelabcmd.CheckSpec{Type: homelabcmd.CheckHTTP, Target: url}
	s.Method = "GET"
	return s
}

func with(s homelabcmd.CheckSpec, f func(*homelabcmd.CheckOptions)) homelabcmd.CheckSpec {
	f(&s.CheckOptions)
	return s
}

// closedAddr is a loopback port nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// shortCert is a self-signed certificate for 127.0.0.1 that expires in
// three days.
func shortCert(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "short"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(72 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLSCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{shortCert(t)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	tls := func(warn, crit int, skip bool) homelabcmd.CheckSpec {
		return homelabcmd.CheckSpec{Type: homelabcmd.CheckTLS, Target: addr,
			CheckOptions: homelabcmd.CheckOptions{WarnDays: warn, CriticalDays: crit, SkipTLSVerify: skip}}
	}
	tests := []struct {
		name, status, errContain string
		spec                     homelabcmd.CheckSpec
	}{
		{"verified by default: self-signed fails", "down", "certificate", tls(14, 7, false)},
		{"within critical days", "down", "certificate expires in 3.0 days", tls(14, 7, true)},
		{"within warning days", "warn", "within 14", tls(14, 1, true)},
		{"far from expiry", "up", "", tls(2, 1, true)},
		{"https check skips verify and reports expiry", "up", "", homelabcmd.CheckSpec{Type: "http", Target: srv.URL,
			CheckOptions: homelabcmd.CheckOptions{SkipTLSVerify: true}}},
		{"https check verifies by default", "down", "certificate", spec(srv.URL)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := probe(t, tc.spec)
			if r.Status != tc.status || !strings.Contains(errText(r), tc.errContain) {
				t.Fatalf("status %s error %q, want %s with %q", r.Status, errText(r), tc.status, tc.errContain)
			}
			if tc.status != "down" || tc.spec.SkipTLSVerify {
				if r.CertExpiresAt == nil || time.Until(*r.CertExpiresAt) > 73*time.Hour || time.Until(*r.CertExpiresAt) < 71*time.Hour {
					t.Fatalf("cert expiry %v", r.CertExpiresAt)
				}
			}
		})
	}
}

func TestTCPCheck(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if r := probe(t, homelabcmd.CheckSpec{Type: "tcp", Target: l.Addr().String()}); r.Status != "up" {
		t.Fatalf("open port: %s %q", r.Status, errText(r))
	}
	if r := probe(t, homelabcmd.CheckSpec{Type: "tcp", Target: closedAddr(t)}); r.Status != "down" || !strings.Contains(errText(r), "refused") {
		t.Fatalf("closed port: %s %q", r.Status, errText(r))
	}
}

// dnsServer answers A queries for nas.lan. with 192.168.1.5 (data only:
// nothing is sent there) and NXDOMAIN for anything else, on loopback UDP.
func dnsServer(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if q.Unpack(buf[:n]) != nil || len(q.Questions) != 1 {
				continue
			}
			resp := dnsmessage.Message{Header: dnsmessage.Header{ID: q.ID, Response: true, Authoritative: true}, Questions: q.Questions}
			qq := q.Questions[0]
			switch {
			case strings.EqualFold(qq.Name.String(), "nas.lan.") && qq.Type == dnsmessage.TypeA:
				resp.Answers = []dnsmessage.Resource{{Header: dnsmessage.ResourceHeader{Name: qq.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
					Body: &dnsmessage.AResource{A: [4]byte{192, 168, 1, 5}}}}
			case strings.EqualFold(qq.Name.String(), "nas.lan."):
			default:
				resp.RCode = dnsmessage.RCodeNameError
			}
			if b, err := resp.Pack(); err == nil {
				pc.WriteTo(b, addr)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestDNSCheck(t *testing.T) {
	t.Parallel()
	resolver := dnsServer(t)
	dns := func(name, expected string) homelabcmd.CheckSpec {
		return homelabcmd.CheckSpec{Type: "dns", Target: name, CheckOptions: homelabcmd.CheckOptions{RecordType: "A", Expected: expected, Resolver: resolver}}
	}
	tests := []struct {
		name, status, errContain string
		spec                     homelabcmd.CheckSpec
	}{
		{"any answer", "up", "", dns("nas.lan", "")},
		{"expected answer", "up", "", dns("nas.lan", "192.168.1.5")},
		{"other answer", "down", "answered 192.168.1.5, not 192.168.1.9", dns("nas.lan", "192.168.1.9")},
		{"no such name", "down", "no such host", dns("nope.lan", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := probe(t, tc.spec)
			if r.Status != tc.status || !strings.Contains(errText(r), tc.errContain) {
				t.Fatalf("status %s error %q, want %s with %q", r.Status, errText(r), tc.status, tc.errContain)
			}
		})
	}
}

func TestPingCheck(t *testing.T) {
	t.Parallel()
	t.Run("loopback", func(t *testing.T) {
		r := probe(t, homelabcmd.CheckSpec{Type: "ping", Target: "127.0.0.1"})
		if r.Status != "up" || r.Method == nil || (*r.Method != "icmp" && *r.Method != "tcp") {
			t.Fatalf("ping 127.0.0.1: %s %q method %v", r.Status, errText(r), r.Method)
		}
		t.Logf("method %s, %.3f ms", *r.Method, *r.LatencyMS)
	})
	t.Run("tcp fallback without ICMP", func(t *testing.T) {
		p := Prober{Pinger: func(context.Context, string) (time.Duration, error) { return 0, icmpx.ErrNotPermitted }}
		r := p.Probe(context.Background(), homelabcmd.CheckSpec{ID: 1, Type: "ping", Target: "127.0.0.1", TimeoutSeconds: 2})
		if r.Status != "up" || r.Method == nil || *r.Method != "tcp" {
			t.Fatalf("fallback: %s %q method %v", r.Status, errText(r), r.Method)
		}
	})
}
