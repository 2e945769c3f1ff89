package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Guard decides which addresses notifications may reach. By default a
// channel may not reach this machine, the LAN or link-local addresses
// (cloud metadata at 169.254.169.254): whoever can edit a channel could
// otherwise make the hub probe its own network (SSRF). AllowPrivate lifts
// that, for a homelab whose ntfy, Gotify or SMTP server is on the LAN.
// A nil *Guard is the default: private addresses refused. Use one Guard
// per process (NewGuard): it keeps one HTTP client and its connections.
type Guard struct {
	AllowPrivate bool

	once   sync.Once
	client *http.Client
}

// NewGuard returns a guard; allowPrivate lets channels reach private,
// loopback and link-local addresses.
func NewGuard(allowPrivate bool) *Guard { return &Guard{AllowPrivate: allowPrivate} }

// defaultGuard serves a nil *Guard.
var defaultGuard = &Guard{}

func (g *Guard) allowPrivate() bool { return g != nil && g.AllowPrivate }

// ErrPrivateTarget is returned when a channel would reach a refused address.
var ErrPrivateTarget = errors.New("private, loopback and link-local addresses are refused; set notify_allow_private to allow them")

// refused reports whether a is an address a guarded channel may not reach.
func refused(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() ||
		cgnat.Contains(a) || thisNetwork.Contains(a) || !a.IsValid()
}

var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT, also Tailscale
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// CheckAddr returns ErrPrivateTarget for an address the guard refuses.
func (g *Guard) CheckAddr(a netip.Addr) error {
	if !g.allowPrivate() && refused(a) {
		return ErrPrivateTarget
	}
	return nil
}

// CheckHost refuses a host that is a literal refused address or a name
// that always means this machine (localhost). Other names are checked when
// they are resolved, at each connection (see Dialer).
func (g *Guard) CheckHost(host string) error {
	if g.allowPrivate() {
		return nil
	}
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return ErrPrivateTarget
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return g.CheckAddr(a)
	}
	return nil
}

// CheckURL applies CheckHost to a URL's host.
func (g *Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // the provider's own validation reports it
	}
	return g.CheckHost(u.Hostname())
}

// control refuses a connection to a refused address after DNS resolution,
// so a name that resolves to the LAN (or is rebound to it) is caught too.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unexpected address %q", address)
	}
	return g.CheckAddr(ap.Addr())
}

// Dialer returns a dialer that refuses the addresses the guard refuses.
func (g *Guard) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, Control: g.control}
}

// ErrRedirect is the error for a redirect, which channels never follow: a
// redirect could lead a webhook, and its secret, to another host.
var ErrRedirect = errors.New("redirects are not followed")

// Client returns the HTTP client every provider uses: 10 s timeout, no
// proxy, the guard's dialer, and no redirects (the 3xx answer itself is
// returned and reported as a failure). It is made once per guard.
func (g *Guard) Client() *http.Client {
	if g == nil {
		g = defaultGuard
	}
	g.once.Do(func() { g.client = g.newClient() })
	return g.client
}

func (g *Guard) newClient() *http.Client {
	d := g.Dialer()
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          10,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
