// Package backoff spaces out retries: exponential from a minimum, capped,
// with jitter so that many agents (or hubs) that lost the same peer do not
// all come back in step.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff counts failures in a row and says how long to wait after each.
// Set Min and Max; the zero value of the rest is ready to use. Not safe for
// concurrent use: each retry loop owns one.
type Backoff struct {
	Min time.Duration // the wait after the first failure (before jitter)
	Max time.Duration // the cap on the wait; below Min counts as Min
	// Rand returns a number in [0, n); nil uses math/rand/v2. Tests set it
	// to make the jitter deterministic.
	Rand func(n int64) int64

	failures int
}

// Next counts one more failure and returns the wait before the next try.
func (b *Backoff) Next() time.Duration {
	b.failures++
	return b.Delay(b.failures)
}

// Reset starts over from Min, after a success.
func (b *Backoff) Reset() { b.failures = 0 }

// Failures is the number of Next calls since the last Reset.
func (b *Backoff) Failures() int { return b.failures }

// Delay is the wait after the nth failure in a row (n ≥ 1): Min doubled
// n-1 times, capped at Max, then jittered. It does not count a failure.
func (b *Backoff) Delay(n int) time.Duration {
	limit := max(b.Max, b.Min)
	wait := b.Min
	for i := 1; i < n && wait > 0 && wait < limit; i++ {
		wait *= 2
	}
	return b.Jitter(min(wait, limit))
}

// Jitter returns a random wait in [d/2, d] ("equal jitter": never less than
// half, so a retry storm is spread without retrying at once).
func (b *Backoff) Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	r := b.Rand
	if r == nil {
		r = rand.Int64N
	}
	return d/2 + time.Duration(r(int64(d/2)+1))
}

// Sleep waits for d or until ctx ends; it reports whether the full wait
// passed (false: ctx ended, stop retrying).
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
