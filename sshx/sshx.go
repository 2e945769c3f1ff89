// Package sshx is the hub's SSH client for machines without an agent: key
// or password auth, host keys pinned on first use (a changed key is
// refused), timeouts and bounded output. Commands are fixed strings or
// templates whose arguments are validated and quoted (see Quote); nothing
// an operator types reaches a remote shell unquoted.
package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// Target is where to connect and as whom.
type Target struct {
	Host string
	Port int
	User string
	// Via is the jump host's address when the target is reached through
	// one (ConnectVia): Host is then an address as the jump host sees it.
	Via string
}

// Addr is host:port, where to dial.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// PinAddr is the key host keys are pinned under: Addr, and the jump host
// when there is one, so that 192.168.1.10 behind one jump host is not
// taken for 192.168.1.10 behind another.
func (t Target) PinAddr() string {
	if t.Via == "" {
		return t.Addr()
	}
	return t.Addr() + " via " + t.Via
}

// Auth is what to present: a private key (PEM, OpenSSH or PKCS#8), a
// password, or both (the key is tried first).
type Auth struct {
	PrivateKey []byte
	Password   string
}

// Pins keeps the host keys seen on first use.
type Pins interface {
	// PinnedHostKey returns the key pinned for addr (wire format), nil when none.
	PinnedHostKey(ctx context.Context, addr string) ([]byte, error)
	// PinHostKey records addr's key after the first successful login.
	PinHostKey(ctx context.Context, addr string, key ssh.PublicKey) error
}

// HostKeyChangedError refuses a server whose key differs from the pinned one.
type HostKeyChangedError struct {
	Addr              string
	Pinned, Presented string // fingerprints
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("host key of %s changed: pinned %s, presented %s (forget the pinned key only if the change is expected)", e.Addr, e.Pinned, e.Presented)
}

// Client opens SSH connections.
type Client struct {
	Pins Pins
	// Timeout bounds connecting and logging in; 0 means 10 s.
	Timeout time.Duration
	// Dial connects; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Conn is a logged-in connection.
type Conn struct {
	c *ssh.Client
	// HostKey is the server's key fingerprint (SHA256:…); NewHostKey says
	// it was pinned by this connection, for the operator to confirm.
	HostKey    string
	NewHostKey bool

	jump *Conn // closed with this one
}

// ErrNoAuth means neither a key nor a password was given.
var ErrNoAuth = errors.New("no SSH key or password to log in with")

// Connect dials t, checks the host key against the pin (pinning it after
// the first successful login) and logs in with a.
func (c *Client) Connect(ctx context.Context, t Target, a Auth) (*Conn, error) {
	if c.Pins == nil {
		return nil, errors.New("sshx: no host key store")
	}
	var methods []ssh.AuthMethod
	if len(a.PrivateKey) > 0 {
		signer, err := ssh.ParsePrivateKey(a.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("the SSH private key cannot be read: %w", err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if a.Password != "" {
		pw := a.Password
		methods = append(methods, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			ans := make([]string, len(qs))
			for i := range ans {
				ans[i] = pw
			}
			return ans, nil
		}))
	}
	if len(methods) == 0 {
		return nil, ErrNoAuth
	}
	addr := t.PinAddr()
	pinned, err := c.Pins.PinnedHostKey(ctx, addr)
	if err != nil {
		return nil, err
	}
	var seen ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: t.User,
		Auth: methods,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			seen = key
			if pinned == nil {
				return nil // first use: pinned below once the login succeeds
			}
			if !bytes.Equal(key.Marshal(), pinned) {
				e := &HostKeyChangedError{Addr: addr, Presented: ssh.FingerprintSHA256(key)}
				if pk, err := ssh.ParsePublicKey(pinned); err == nil {
					e.Pinned = ssh.FingerprintSHA256(pk)
				}
				return e
			}
			return nil
		},
		Timeout: c.timeout(),
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	nc, err := dial(ctx, "tcp", t.Addr())
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	stop()
	if err != nil {
		nc.Close()
		var hk *HostKeyChangedError
		if errors.As(err, &hk) {
			return nil, hk
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to %s timed out after %s", addr, c.timeout())
		}
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	conn := &Conn{c: ssh.NewClient(sc, chans, reqs), HostKey: ssh.FingerprintSHA256(seen)}
	if pinned == nil {
		if err := c.Pins.PinHostKey(ctx, addr, seen); err != nil {
			conn.Close()
			return nil, err
		}
		conn.NewHostKey = true
	}
	return conn, nil
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 10 * time.Second
}

// Close ends the connection (and the jump host's, when it came through one).
func (c *Conn) Close() error {
	err := c.c.Close()
	if c.jump != nil {
		c.jump.Close()
	}
	return err
}
