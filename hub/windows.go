package hub

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// windowsTTL bounds how long the engine trusts the maintenance windows it
// keeps in memory, should a maintenance.changed event from another hub be
// lost (a dropped database connection loses its notifications).
const windowsTTL = 30 * time.Second

// windowCache keeps the maintenance windows between heartbeats: every
// heartbeat needs them, and they change only when someone creates or
// deletes one. It is dropped when the engine writes a window and when a
// maintenance.changed event arrives (from another hub through the
// database), and read again after windowsTTL in any case.
//
// A read that raced with a drop is not kept: gen counts the drops, and a
// list is only stored when no drop happened since before it was read
// (the write that caused the drop committed before the drop, so a read
// that started after the drop sees it).
type windowCache struct {
	mu     sync.Mutex
	gen    uint64
	list   []homelabcmd.MaintenanceWindow
	valid  bool
	readAt time.Time
}

// drop forgets the windows; the next heartbeat reads them again.
func (c *windowCache) drop() {
	c.mu.Lock()
	c.gen++
	c.valid, c.list = false, nil
	c.mu.Unlock()
}

// get returns the windows, from memory or read through tx.
func (c *windowCache) get(ctx context.Context, tx homelabcmd.Tx) ([]homelabcmd.MaintenanceWindow, error) {
	c.mu.Lock()
	if c.valid && time.Since(c.readAt) < windowsTTL {
		list := c.list
		c.mu.Unlock()
		return list, nil
	}
	gen := c.gen
	c.mu.Unlock()
	started := time.Now()
	list, err := tx.MaintenanceWindows(ctx)
	if err != nil {
		return nil, err
	}
	list = slices.Clip(list)
	c.mu.Lock()
	if c.gen == gen {
		c.list, c.valid, c.readAt = list, true, started
	}
	c.mu.Unlock()
	return list, nil
}

// windows returns the maintenance windows (kept in memory, see windowCache).
func (e *Engine) windows(ctx context.Context, tx homelabcmd.Tx) ([]homelabcmd.MaintenanceWindow, error) {
	return e.windowCache.get(ctx, tx)
}

// CreateMaintenanceWindow stores a window and tells every hub to read the
// windows again. EINVALID, ENOTFOUND for an unknown server.
func (e *Engine) CreateMaintenanceWindow(ctx context.Context, w *homelabcmd.MaintenanceWindow) error {
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		if err := tx.CreateMaintenanceWindow(ctx, w); err != nil {
			return err
		}
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventMaintenanceChanged})
		return nil
	})
	e.windowCache.drop()
	return err
}

// DeleteMaintenanceWindow removes a window and tells every hub to read the
// windows again; alerts it held back go out with the next release.
// ENOTFOUND.
func (e *Engine) DeleteMaintenanceWindow(ctx context.Context, id int64) error {
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		if err := tx.DeleteMaintenanceWindow(ctx, id); err != nil {
			return err
		}
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventMaintenanceChanged})
		return nil
	})
	e.windowCache.drop()
	return err
}

// MaintenanceChanged drops the windows kept in memory; the engine's event
// subscription (Run) calls it when another hub changed them.
func (e *Engine) MaintenanceChanged() { e.windowCache.drop() }
