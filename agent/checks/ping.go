package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/homelabcmd/homelabcmd"
)

// ping sends one ICMP echo when the system lets the agent (an unprivileged
// ping socket, else a raw socket as root); otherwise it falls back to a TCP
// connect to port 80, where an answer of either kind (accepted or refused)
// proves the host is up. The result says which (method icmp or tcp).
func (p *Prober) ping(ctx context.Context, host string, r *homelabcmd.CheckResult) error {
	pinger := p.Pinger
	if pinger == nil {
		pinger = icmpEcho
	}
	rtt, err := pinger(ctx, host)
	if !errors.Is(err, errNoICMP) {
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

// echoSeq numbers echo requests, so concurrent pings (each on its own
// socket, a raw one seeing every reply) take only their own reply.
var echoSeq atomic.Uint32

// errNoICMP: the agent may not open an ICMP socket.
var errNoICMP = errors.New("ICMP not permitted")

// icmpEcho sends one echo request and waits for its reply.
func icmpEcho(ctx context.Context, host string) (time.Duration, error) {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return 0, err
	}
	if len(addrs) == 0 {
		return 0, fmt.Errorf("no address for %s", host)
	}
	ip := addrs[0].IP
	v4 := ip.To4() != nil
	type attempt struct {
		network, addr string
		udp           bool
	}
	tries := []attempt{{"udp4", "0.0.0.0", true}, {"ip4:icmp", "0.0.0.0", false}}
	proto, echo, reply := 1, icmp.Type(ipv4.ICMPTypeEcho), icmp.Type(ipv4.ICMPTypeEchoReply)
	if !v4 {
		tries = []attempt{{"udp6", "::", true}, {"ip6:ipv6-icmp", "::", false}}
		proto, echo, reply = 58, ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	var conn *icmp.PacketConn
	var udp bool
	for _, t := range tries {
		if conn, err = icmp.ListenPacket(t.network, t.addr); err == nil {
			udp = t.udp
			break
		}
	}
	if conn == nil {
		return 0, errNoICMP
	}
	defer conn.Close()
	id, seq := os.Getpid()&0xffff, int(echoSeq.Add(1)&0xffff)
	msg := icmp.Message{Type: echo, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("homelabcmd-check")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return 0, err
	}
	var dst net.Addr = &net.IPAddr{IP: ip}
	if udp {
		dst = &net.UDPAddr{IP: ip}
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	start := time.Now()
	if _, err := conn.WriteTo(b, dst); err != nil {
		return 0, err
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return 0, fmt.Errorf("no echo reply: %w", err)
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != reply {
			continue
		}
		// An unprivileged socket rewrites the id; a raw one sees every
		// reply, so match ours.
		if e, ok := m.Body.(*icmp.Echo); ok && e.Seq == seq && (udp || e.ID == id) {
			return time.Since(start), nil
		}
	}
}
