package httpapi

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Connection caps. Each open connection costs a file descriptor and a few
// KiB (goroutine, read buffer, a request being read), so an unbounded
// number of idle or half-sent connections exhausts the hub (the review's
// 20,000 idle connects hit the fd limit).
const (
	// DefaultMaxConns bounds all open connections: past it, Accept waits
	// for one to close (new ones wait in the kernel's backlog).
	DefaultMaxConns = 4096
	// DefaultMaxConnsPerIP bounds the connections of one client address:
	// past it, a new connection from that address is closed at once, so one
	// machine cannot take every slot from the agents. 127.0.0.1, ::1 and
	// trusted proxies are exempt (a reverse proxy on the hub's machine,
	// loadgen).
	DefaultMaxConnsPerIP = 256
)

// limitListener caps open connections in total and per client address.
type limitListener struct {
	net.Listener
	slots   chan struct{} // one per open connection
	perIP   int
	exempt  func(netip.Addr) bool
	closed  chan struct{}
	once    sync.Once
	mu      sync.Mutex
	open    map[netip.Addr]int
	refused atomic.Int64 // connections closed at once for the per-address cap
}

func newLimitListener(ln net.Listener, total, perIP int, exempt func(netip.Addr) bool) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, total), perIP: perIP, exempt: exempt,
		closed: make(chan struct{}), open: map[netip.Addr]int{}}
}

// Accept waits for a free slot, then for a connection from an address
// under its own cap.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		ip := netip.Addr{}
		if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
			ip = ap.Addr().Unmap()
		}
		counted := l.perIP > 0 && ip.IsValid() && !l.exempt(ip)
		if counted {
			l.mu.Lock()
			if l.open[ip] >= l.perIP {
				l.mu.Unlock()
				l.refused.Add(1)
				c.Close()
				continue
			}
			l.open[ip]++
			l.mu.Unlock()
		}
		return &limitConn{Conn: c, release: func() {
			if counted {
				l.mu.Lock()
				if l.open[ip]--; l.open[ip] <= 0 {
					delete(l.open, ip)
				}
				l.mu.Unlock()
			}
			<-l.slots
		}}, nil
	}
}

// Close stops accepting; waiting Accepts return net.ErrClosed.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitConn gives its slot back once, when closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
