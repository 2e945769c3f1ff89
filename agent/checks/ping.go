package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/icmpx"
)

// ping sends one ICMP echo when the system lets the agent (an unprivileged
// ping socket, else a raw socket as root); otherwise it falls back to a TCP
// connect to port 80, where an answer of either kind (accepted or refused)
// proves the host is up. The result says which (method icmp or tcp).
func (p *Prober) ping(ctx context.Context, host string, r *homelabcmd.CheckResult) error {
	pinger := p.Pinger
	if pinger == nil {
		pinger = icmpx.Echo
	}
	rtt, err := pinger(ctx, host)
	if !errors.Is(err, icmpx.ErrNotPermitted) {
		method := "icmp"
		r.Method = &method
		if err == nil {
			ms := float64(rtt.Microseconds()) / 1000
			r.LatencyMS = &ms
		}
		return err
	}
	method := "tcp"
	r.Method = &method
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, "80"))
	if err == nil {
		c.Close()
		return nil
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil // the host answered: it is up, only nothing listens on 80
	}
	return fmt.Errorf("no ICMP permission, and TCP connect to port 80 failed: %w", err)
}
