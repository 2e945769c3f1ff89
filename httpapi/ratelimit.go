package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// AuthLimit is the token bucket of failed authentications per client IP:
// each wrong credential (API key, agent token, sign-in key, metrics token,
// registration token) takes one token; with none left, the client gets 429
// with Retry-After before its credential is even looked at. Correct
// credentials and requests without any credential take nothing.
type AuthLimit struct {
	Burst int           // failures allowed at once
	Every time.Duration // one more failure allowed per Every
}

// DefaultAuthLimit: 10 failures at once, then one every 6 s (10 a minute).
var DefaultAuthLimit = AuthLimit{Burst: 10, Every: 6 * time.Second}

// maxLimiterClients bounds the limiter's memory: past it, clients whose
// bucket has refilled are forgotten first.
const maxLimiterClients = 10000

type bucket struct {
	tokens float64
	at     time.Time
	logged bool // the "rate limited" line was written for this episode
}

type authLimiter struct {
	mu      sync.Mutex
	limit   AuthLimit
	now     func() time.Time
	clients map[netip.Addr]*bucket
}

func newAuthLimiter(l AuthLimit) *authLimiter {
	return &authLimiter{limit: l, now: time.Now, clients: map[netip.Addr]*bucket{}}
}

// refill brings b up to date; the caller holds mu.
func (l *authLimiter) refill(b *bucket, now time.Time) {
	if l.limit.Every > 0 {
		b.tokens = math.Min(float64(l.limit.Burst), b.tokens+float64(now.Sub(b.at))/float64(l.limit.Every))
	}
	b.at = now
}

// wait returns how long ip must wait before its next attempt, 0 when it may
// try now.
func (l *authLimiter) wait(ip netip.Addr) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[ip]
	if !ok {
		return 0
	}
	now := l.now()
	l.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(l.limit.Every))
}

// fail takes a token from ip's bucket and reports whether this is the
// failure that emptied it (so the caller logs the start of an episode once).
func (l *authLimiter) fail(ip netip.Addr) (emptied bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.clients[ip]
	if !ok {
		if len(l.clients) >= maxLimiterClients {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.limit.Burst), at: now}
		l.clients[ip] = b
	}
	l.refill(b, now)
	b.tokens = math.Max(0, b.tokens-1)
	if b.tokens < 1 && !b.logged {
		b.logged = true
		return true
	}
	if b.tokens >= 1 {
		b.logged = false
	}
	return false
}

// sweep forgets clients whose bucket is full again, and everyone if that
// frees nothing (an attack from very many addresses); the caller holds mu.
func (l *authLimiter) sweep(now time.Time) {
	for ip, b := range l.clients {
		l.refill(b, now)
		if b.tokens >= float64(l.limit.Burst) {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) >= maxLimiterClients {
		clear(l.clients)
	}
}

// authThrottle returns a 429 error (ETOOMANY with retry_after) when the
// client has used up its failed attempts, else nil.
func (s *Server) authThrottle(r *http.Request) error {
	d := s.authLimiter.wait(s.clientIP(r))
	if d <= 0 {
		return nil
	}
	secs := int(math.Ceil(d.Seconds()))
	return &homelabcmd.Error{Code: homelabcmd.ETOOMANY,
		Message: "Too many failed authentication attempts; try again in " + strconv.Itoa(secs) + " s",
		Data:    map[string]any{"retry_after": secs}}
}

// authThrottled answers 429 with Retry-After when the client has used up
// its failed attempts, and reports whether it did.
func (s *Server) authThrottled(w http.ResponseWriter, r *http.Request) bool {
	if err := s.authThrottle(r); err != nil {
		s.writeError(w, r, err)
		return true
	}
	return false
}

// authFailed records a wrong credential: a log line (who, where, what) and
// a token from the client's bucket.
func (s *Server) authFailed(r *http.Request, what string) {
	ip := s.clientIP(r)
	s.logger.Warn("authentication failed", "client_ip", ip.String(), "method", r.Method, "path", r.URL.Path, "credential", what)
	if s.authLimiter.fail(ip) {
		s.logger.Warn("authentication rate limit reached: further attempts answer 429", "client_ip", ip.String(),
			"burst", s.authLimiter.limit.Burst, "refill_every", s.authLimiter.limit.Every.String())
	}
}
