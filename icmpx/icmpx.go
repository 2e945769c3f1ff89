// Package icmpx sends one ICMP echo request: through an unprivileged ping
// socket when the system allows it (net.ipv4.ping_group_range), else a
// raw socket (root or CAP_NET_RAW); ErrNotPermitted when neither, so the
// caller falls back to TCP and says so. Used by the agent's ping check
// and the hub's subnet sweep.
package icmpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// echoSeq numbers echo requests, so concurrent pings (each on its own
// socket, a raw one seeing every reply) take only their own reply.
var echoSeq atomic.Uint32

// ErrNotPermitted: the process may not open an ICMP socket (no
// unprivileged ping socket for its group, not root).
var ErrNotPermitted = errors.New("ICMP not permitted")

// Echo sends one echo request and waits for its reply.
func Echo(ctx context.Context, host string) (time.Duration, error) {
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
		return 0, ErrNotPermitted
	}
	defer conn.Close()
	id, seq := os.Getpid()&0xffff, int(echoSeq.Add(1)&0xffff)
	msg := icmp.Message{Type: echo, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("homelabcmd")}}
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
