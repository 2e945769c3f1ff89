package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
)

// peerAddr is the address of the TCP peer (zero when unparsable).
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// fromTrustedProxy reports whether the request's TCP peer is one of the
// configured trusted proxies: only then are its X-Forwarded-* headers
// believed. Anyone else can write those headers.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	return s.trustedAddr(peerAddr(r))
}

func (s *Server) trustedAddr(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// isHTTPS reports whether the browser reached the hub over TLS: directly,
// or through a trusted proxy that says so in X-Forwarded-Proto.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.fromTrustedProxy(r) && forwardedValue(r.Header.Get("X-Forwarded-Proto")) == "https"
}

// forwardedValue is the first (client-side) element of a comma-separated
// X-Forwarded-* header, trimmed.
func forwardedValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// clientIP is who sent the request: the TCP peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not itself
// a trusted proxy (the rightmost untrusted one: entries left of it are
// whatever the client wrote).
func (s *Server) clientIP(r *http.Request) netip.Addr {
	peer := peerAddr(r)
	if !s.trustedAddr(peer) {
		return peer
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		a = a.Unmap()
		if !s.trustedAddr(a) {
			return a
		}
		peer = a
	}
	return peer
}

// hostPattern is what a host[:port] must look like to be used in a URL the
// hub hands out (install.sh, install commands, agent configs): a DNS name
// or IPv4 address, or a bracketed IPv6 address, and an optional port.
// Anything else (quotes, $, spaces, backticks) could break out of the
// shell script an operator pipes to `sudo sh`.
var hostPattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?$`)

// validHost reports whether h is a plain host[:port].
func validHost(h string) bool {
	if !hostPattern.MatchString(h) {
		return false
	}
	if strings.HasPrefix(h, "[") {
		end := strings.Index(h, "]")
		_, err := netip.ParseAddr(h[1:end])
		return err == nil
	}
	return true
}

// hubURL is how agents reach this hub: the configured external URL, else
// what the request came to. X-Forwarded-Proto and X-Forwarded-Host count
// only from a trusted proxy; a host that is not a plain host[:port] (from
// the header or the request's own Host) falls back to the address the
// connection came in on.
func (s *Server) hubURL(r *http.Request) string {
	if s.ExternalURL != "" {
		return strings.TrimRight(s.ExternalURL, "/")
	}
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	host := r.Host
	if s.fromTrustedProxy(r) {
		if h := forwardedValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	if !validHost(host) {
		host = localHost(r)
	}
	return scheme + "://" + host
}

// localHost is the address the request's connection came in on.
func localHost(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return ap.String()
		}
	}
	return "localhost"
}
