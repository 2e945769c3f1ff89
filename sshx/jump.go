package sshx

import (
	"context"
	"net"
)

// DialContext opens a TCP connection from the remote host to addr (what
// ssh -J does on the jump host: a direct-tcpip channel, no shell).
func (c *Conn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return c.c.DialContext(ctx, network, addr)
}

// ConnectVia is Connect to t through the logged-in jump host (ProxyJump):
// the connection to t is tunnelled through jump, t's host key is pinned
// under t.PinAddr() with jump's address, and closing the returned Conn
// closes jump too. On error jump is closed.
func (c *Client) ConnectVia(ctx context.Context, jump *Conn, via string, t Target, a Auth) (*Conn, error) {
	through := *c
	through.Dial = jump.DialContext
	t.Via = via
	conn, err := through.Connect(ctx, t, a)
	if err != nil {
		jump.Close()
		return nil, err
	}
	conn.jump = jump
	return conn, nil
}
