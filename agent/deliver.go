package agent

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/backoff"
	"github.com/homelabcmd/homelabcmd/client"
)

// Sender posts an encoded heartbeat (client.Client in production).
type Sender interface {
	HeartbeatJSON(ctx context.Context, body []byte) (*homelabcmd.HeartbeatResponse, error)
}

// Backoff bounds for retrying the outbox: first retry after about
// MinBackoff, doubling with jitter up to the smaller of MaxBackoff and the
// heartbeat interval, so the hub's return is noticed within one interval.
const (
	MinBackoff = 500 * time.Millisecond
	MaxBackoff = 60 * time.Second
)

// maxMemoryQueue bounds the queue of an agent without an outbox.
const maxMemoryQueue = 1000

// delivery sends heartbeats in the order they were made. While the outbox
// holds anything, new heartbeats join its tail, so replay never reorders.
type delivery struct {
	agent   *Agent
	in      <-chan *homelabcmd.Heartbeat
	memory  [][]byte        // stands in for the outbox when there is none
	retry   backoff.Backoff // failed attempts in a row and the wait after each
	failing bool            // logged the current outage already
}

func newDelivery(a *Agent, in <-chan *homelabcmd.Heartbeat) *delivery {
	return &delivery{agent: a, in: in, retry: backoff.Backoff{Min: MinBackoff, Max: min(MaxBackoff, a.Config.HeartbeatInterval)}}
}

func (d *delivery) pending() int {
	if d.agent.Outbox != nil {
		return d.agent.Outbox.Len()
	}
	return len(d.memory)
}

func (d *delivery) run(ctx context.Context) {
	var retry <-chan time.Time
	if d.pending() > 0 {
		d.agent.Logger.Info("replaying heartbeats left in the outbox", "count", d.pending())
		retry = time.After(0)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case hb := <-d.in:
			body := Marshal(hb)
			if d.pending() > 0 {
				d.store(hb.Timestamp.Time, body)
				if retry == nil {
					retry = time.After(0)
				}
				continue
			}
			if err := d.send(ctx, body); err != nil {
				if ctx.Err() != nil {
					d.store(hb.Timestamp.Time, body) // keep it for the next run
					return
				}
				if d.keep(err) {
					d.store(hb.Timestamp.Time, body)
					retry = time.After(d.backoff())
				}
			}
		case <-retry:
			retry = nil
			again, wait := d.replayOne(ctx)
			if again {
				retry = time.After(wait)
			}
		}
	}
}

// replayOne sends the oldest queued heartbeat; it says whether to go on
// and after how long.
func (d *delivery) replayOne(ctx context.Context) (bool, time.Duration) {
	var (
		seq  uint64
		body []byte
		ok   bool
	)
	if ob := d.agent.Outbox; ob != nil {
		var err error
		if seq, body, ok, err = ob.Peek(d.agent.now()); err != nil {
			d.agent.Logger.Error("outbox unreadable", "err", err)
			return true, d.backoff()
		}
	} else if len(d.memory) > 0 {
		body, ok = d.memory[0], true
	}
	if !ok {
		return false, 0
	}
	err := d.send(ctx, body)
	if err != nil && ctx.Err() != nil {
		return false, 0
	}
	if err != nil && d.keep(err) {
		return true, d.backoff()
	}
	if d.agent.Outbox != nil {
		d.agent.Outbox.Remove(seq)
	} else {
		d.memory = d.memory[1:]
	}
	if d.pending() == 0 {
		d.agent.Logger.Info("outbox replayed; the hub has every heartbeat")
		return false, 0
	}
	return true, 0
}

// send posts one heartbeat and applies the hub's answer.
func (d *delivery) send(ctx context.Context, body []byte) error {
	resp, err := d.agent.Sender.HeartbeatJSON(ctx, body)
	if err != nil {
		return err
	}
	if d.failing {
		d.agent.Logger.Info("hub reachable again", "failed_attempts", d.retry.Failures())
	}
	d.failing = false
	d.retry.Reset()
	if d.agent.Delivered != nil {
		d.agent.Delivered()
	}
	d.agent.SetExpected(resp.ExpectedServices)
	d.agent.SetExpectedContainers(resp.ExpectedContainers)
	if d.agent.Checks != nil {
		d.agent.Checks(resp.Checks)
	}
	if len(resp.PendingCommands) > 0 {
		if d.agent.Commands != nil {
			d.agent.Commands(ctx, resp.PendingCommands)
		} else {
			d.agent.Logger.Warn("the hub sent commands this agent cannot run yet", "count", len(resp.PendingCommands))
		}
	}
	return nil
}

// keep decides what a failed send means: true to keep the heartbeat and
// retry later (network, 5xx, 429, and refusals an operator can fix: 401,
// 403, 404, 409), false to drop it because the hub will never take this
// body (400, 413, 422).
func (d *delivery) keep(err error) bool {
	var ce *client.Error
	if errors.As(err, &ce) && (ce.StatusCode == http.StatusBadRequest || ce.StatusCode == http.StatusRequestEntityTooLarge || ce.StatusCode == http.StatusUnprocessableEntity) {
		d.agent.Logger.Error("the hub rejected a heartbeat; dropping it", "err", err)
		return false
	}
	if !d.failing {
		level := "warn"
		if !client.IsRetryable(err) {
			level = "error"
		}
		if level == "error" {
			d.agent.Logger.Error("the hub refuses heartbeats; keeping them in the outbox and retrying", "err", err)
		} else {
			d.agent.Logger.Warn("hub unreachable; keeping heartbeats in the outbox and retrying", "err", err)
		}
		d.failing = true
	} else {
		d.agent.Logger.Debug("send failed again", "failures", d.retry.Failures(), "err", err)
	}
	return true
}

// backoff counts a failed attempt and returns the wait before the next:
// exponential from MinBackoff, capped, with jitter in [d/2, d].
func (d *delivery) backoff() time.Duration { return d.retry.Next() }

func (d *delivery) store(ts time.Time, body []byte) {
	if d.agent.Outbox == nil {
		if len(d.memory) >= maxMemoryQueue {
			d.memory = d.memory[1:]
		}
		d.memory = append(d.memory, body)
		return
	}
	if err := d.agent.Outbox.Append(ts, body); err != nil {
		d.agent.Logger.Error("cannot write the outbox; this heartbeat is lost", "err", err)
	}
}
