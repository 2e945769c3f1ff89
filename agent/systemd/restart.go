package systemd

import (
	"context"
	"fmt"
)

// Restart asks systemd to restart a unit (full name) with RestartUnit in
// mode "replace" and waits for the job to end. It returns the job result
// ("done", "failed", "timeout", "canceled", "dependency", "skipped"); an
// error means the job could not be queued or ctx ended before it finished.
// The connection lock is not held while waiting, so heartbeats go on.
func (c *Client) Restart(ctx context.Context, unit string) (string, error) {
	c.mu.Lock()
	conn, err := c.connLocked()
	c.mu.Unlock()
	if err != nil {
		return "", err
	}
	// go-systemd's dispatch loop blocks on this send: a buffer of one keeps
	// it going even when ctx ends first and nobody reads.
	done := make(chan string, 1)
	if _, err := conn.RestartUnitContext(ctx, unit, "replace", done); err != nil {
		return "", err
	}
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
		return "", fmt.Errorf("the restart job of %s did not finish in time: %w", unit, ctx.Err())
	}
}
