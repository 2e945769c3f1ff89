package systemd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// Client is the agent's connection to systemd. It connects on first use,
// reconnects after the connection is lost, and forwards the names of units
// whose state changed on one channel that survives reconnects. Safe for
// concurrent use.
type Client struct {
	address string // "" = the system bus (or DBUS_SYSTEM_BUS_ADDRESS)
	logger  *slog.Logger
	changes chan string

	mu       sync.Mutex
	conn     *sd.Conn
	stop     chan struct{} // closes the forwarder of conn
	failing  bool          // the last connect failed (logged once)
	closed   bool
	noByName bool // systemd older than v230: no ListUnitsByNames
}

// NewClient returns a client for the bus at address ("" for the system bus).
// It does not connect yet.
func NewClient(address string, logger *slog.Logger) *Client {
	return &Client{address: address, logger: logger, changes: make(chan string, 64)}
}

// Changes delivers the full names of units whose LoadState, ActiveState or
// SubState changed. A full channel drops names: a change is already pending.
func (c *Client) Changes() <-chan string { return c.changes }

// Connect connects and subscribes now, if not connected yet. The first
// failure in a row is logged at warn, later ones at debug.
func (c *Client) Connect() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.connLocked()
	return err
}

func (c *Client) connLocked() (*sd.Conn, error) {
	if c.closed {
		return nil, errors.New("client closed")
	}
	if c.conn != nil && c.conn.Connected() {
		return c.conn, nil
	}
	c.dropLocked()
	conn, err := sd.NewConnection(c.dial)
	// The subscriber is set before Subscribe: go-systemd's signal dispatcher
	// reads it without its lock, so it must not change once signals flow.
	updates := make(chan *sd.PropertiesUpdate, 256)
	errs := make(chan error, 16)
	if err == nil {
		conn.SetPropertiesSubscriber(updates, errs)
		if err = conn.Subscribe(); err != nil {
			conn.Close()
		}
	}
	if err != nil {
		if !c.failing {
			c.logger.Warn("systemd is not reachable over D-Bus; services are reported as unknown until it is", "bus", c.busName(), "reason", err)
		} else {
			c.logger.Debug("systemd still not reachable", "reason", err)
		}
		c.failing = true
		return nil, err
	}
	if c.failing {
		c.logger.Info("connected to systemd", "bus", c.busName())
	}
	c.failing = false
	c.conn = conn
	c.stop = make(chan struct{})
	go c.forward(updates, errs, c.stop)
	return conn, nil
}

func (c *Client) busName() string {
	if c.address == "" {
		return "system"
	}
	return c.address
}

// dial opens one authenticated bus connection (go-systemd opens two).
func (c *Client) dial() (*godbus.Conn, error) {
	var conn *godbus.Conn
	var err error
	if c.address == "" {
		conn, err = godbus.SystemBusPrivate()
	} else {
		conn, err = godbus.Dial(c.address)
	}
	if err != nil {
		return nil, err
	}
	if err := conn.Auth([]godbus.Auth{godbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// forward passes state changes on until stop closes.
func (c *Client) forward(updates <-chan *sd.PropertiesUpdate, errs <-chan error, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case err := <-errs:
			c.logger.Debug("systemd signal", "err", err)
		case u := <-updates:
			if !stateChanged(u.Changed) {
				continue
			}
			select {
			case c.changes <- u.UnitName:
			default:
			}
		}
	}
}

func stateChanged(changed map[string]godbus.Variant) bool {
	for _, k := range []string{"ActiveState", "SubState", "LoadState"} {
		if _, ok := changed[k]; ok {
			return true
		}
	}
	return false
}

func (c *Client) dropLocked() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
}

// Close disconnects; Units fails afterwards.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked()
	c.closed = true
}

// Units returns the state of each named unit (full names, in order). An
// error means systemd could not be asked at all; the connection is then
// dropped and retried on the next call.
func (c *Client) Units(ctx context.Context, names []string) ([]Unit, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.connLocked()
	if err != nil {
		return nil, err
	}
	out, err := c.readUnits(ctx, conn, names)
	if err != nil && ctx.Err() == nil {
		c.logger.Warn("reading unit states from systemd failed; reconnecting", "err", err)
		c.dropLocked()
	}
	return out, err
}

func (c *Client) readUnits(ctx context.Context, conn *sd.Conn, names []string) ([]Unit, error) {
	out := make([]Unit, len(names))
	if !c.noByName {
		st, err := conn.ListUnitsByNamesContext(ctx, names)
		var de godbus.Error
		switch {
		case errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.UnknownMethod":
			c.noByName = true
		case err != nil:
			return nil, err
		case len(st) != len(names):
			return nil, fmt.Errorf("ListUnitsByNames returned %d units for %d names", len(st), len(names))
		default:
			for i, s := range st {
				out[i] = Unit{Name: names[i], LoadState: s.LoadState, ActiveState: s.ActiveState, SubState: s.SubState}
			}
		}
	}
	for i, name := range names {
		if c.noByName {
			props, err := conn.GetUnitPropertiesContext(ctx, name)
			if err != nil {
				return nil, err
			}
			out[i] = Unit{Name: name, LoadState: str(props["LoadState"]), ActiveState: str(props["ActiveState"]), SubState: str(props["SubState"])}
		}
		if !strings.HasSuffix(name, ".service") || out[i].LoadState == "not-found" || out[i].LoadState == "" {
			continue
		}
		props, err := conn.GetUnitTypePropertiesContext(ctx, name, "Service")
		if err != nil {
			return nil, err
		}
		out[i].MainPID, _ = props["MainPID"].(uint32)
		out[i].NRestarts, _ = props["NRestarts"].(uint32)
		var ok1, ok2 bool
		out[i].MemoryCurrent, ok1 = props["MemoryCurrent"].(uint64)
		out[i].CPUUsageNSec, ok2 = props["CPUUsageNSec"].(uint64)
		if !ok1 {
			out[i].MemoryCurrent = notSet
		}
		if !ok2 {
			out[i].CPUUsageNSec = notSet
		}
		out[i].HasService = true
	}
	return out, nil
}

func str(v any) string { s, _ := v.(string); return s }
