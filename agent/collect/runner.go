package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// ErrBusy is a collector's error while its previous Collect, past its
// deadline, has still not returned: it is not started a second time, so a
// hung source costs one goroutine, not one per heartbeat.
var ErrBusy = errors.New("the previous collection has not returned yet")

// Runner runs a fixed list of collectors into heartbeats. It logs a
// collector's failure when it starts and when it ends, not at every
// heartbeat. Safe for concurrent use.
type Runner struct {
	collectors []Collector
	timeout    time.Duration
	logger     *slog.Logger

	busy    []atomic.Bool // Collect running, maybe past its deadline
	mu      sync.Mutex
	failing []bool // logged as failing
}

// NewRunner returns a Runner for collectors, each bounded by timeout.
func NewRunner(collectors []Collector, timeout time.Duration, logger *slog.Logger) *Runner {
	return &Runner{collectors: collectors, timeout: timeout, logger: logger,
		busy: make([]atomic.Bool, len(collectors)), failing: make([]bool, len(collectors))}
}

type result struct {
	i    int
	part Part
	err  error
}

// Fill runs every collector at once, each under the same deadline (timeout
// from now), and applies their parts to hb in list order. It returns by the
// deadline even if a collector ignores ctx. A collector that errs, panics
// or misses the deadline adds its Fallback part if it has one, else nothing.
func (r *Runner) Fill(ctx context.Context, hb *homelabcmd.Heartbeat, full bool) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	done := make(chan result, len(r.collectors)) // late answers never block
	got := make([]*result, len(r.collectors))
	waiting := 0
	for i, c := range r.collectors {
		if !r.busy[i].CompareAndSwap(false, true) {
			got[i] = &result{i: i, err: ErrBusy}
			continue
		}
		waiting++
		go func() {
			res := result{i: i}
			defer func() {
				if p := recover(); p != nil {
					res.part, res.err = nil, fmt.Errorf("panic: %v", p)
					r.logger.Error("collector panicked", "collector", c.Name(), "panic", p, "stack", string(debug.Stack()))
				}
				r.busy[i].Store(false)
				done <- res
			}()
			res.part, res.err = c.Collect(ctx, full)
		}()
	}
wait:
	for ; waiting > 0; waiting-- {
		select {
		case res := <-done:
			got[res.i] = &res
		case <-ctx.Done():
			break wait
		}
	}
	for i, c := range r.collectors {
		res := got[i]
		if res == nil {
			res = &result{err: fmt.Errorf("no answer within %v: %w", r.timeout, context.Cause(ctx))}
		}
		part := res.part
		if res.err != nil {
			part = nil
			if fb, ok := c.(Fallback); ok {
				part = fb.Failed(res.err)
			}
		}
		r.note(i, res.err)
		if part != nil {
			part(hb)
		}
	}
}

// note logs a collector's change between working and failing.
func (r *Runner) note(i int, err error) {
	name := r.collectors[i].Name()
	r.mu.Lock()
	was := r.failing[i]
	r.failing[i] = err != nil
	r.mu.Unlock()
	switch {
	case err != nil && !was:
		r.logger.Warn("collector failed; its part of the heartbeat is left out or marked until it works again", "collector", name, "err", err)
	case err != nil:
		r.logger.Debug("collector still failing", "collector", name, "err", err)
	case was:
		r.logger.Info("collector works again", "collector", name)
	}
}
