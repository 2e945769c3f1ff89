package backoff

import (
	"context"
	"testing"
	"time"
)

// low and high pin the jitter to either end of [d/2, d].
func low(int64) int64    { return 0 }
func high(n int64) int64 { return n - 1 }

func TestDelay(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		min, max time.Duration
		rand     func(int64) int64
		n        int
		want     time.Duration
	}{
		{"first failure waits Min", 500 * ms, time.Minute, high, 1, 500 * ms},
		{"first failure, low jitter halves", 500 * ms, time.Minute, low, 1, 250 * ms},
		{"doubles", 500 * ms, time.Minute, high, 2, time.Second},
		{"doubles again", 500 * ms, time.Minute, high, 3, 2 * time.Second},
		{"capped", 500 * ms, 10 * time.Second, high, 10, 10 * time.Second},
		{"capped, low jitter", 500 * ms, 10 * time.Second, low, 10, 5 * time.Second},
		{"cap that is not a power of two", time.Second, 3 * time.Second, high, 3, 3 * time.Second},
		{"huge n does not overflow", 500 * ms, time.Minute, high, 1 << 30, time.Minute},
		{"max below min counts as min", time.Second, 0, high, 5, time.Second},
		{"zero min waits nothing", 0, time.Minute, high, 3, 0},
		{"n of zero is the first wait", 500 * ms, time.Minute, high, 0, 500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Backoff{Min: tt.min, Max: tt.max, Rand: tt.rand}
			if got := b.Delay(tt.n); got != tt.want {
				t.Fatalf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestNextCountsAndResetStartsOver(t *testing.T) {
	b := &Backoff{Min: time.Second, Max: 4 * time.Second, Rand: high}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		if got := b.Next(); got != want {
			t.Fatalf("Next #%d = %v, want %v", i+1, got, want)
		}
	}
	if b.Failures() != 4 {
		t.Fatalf("Failures = %d", b.Failures())
	}
	b.Reset()
	if got := b.Next(); got != time.Second || b.Failures() != 1 {
		t.Fatalf("after Reset: %v, %d failures", got, b.Failures())
	}
}

// The default jitter stays inside [d/2, d].
func TestJitterBounds(t *testing.T) {
	b := &Backoff{}
	for _, d := range []time.Duration{1, 3, time.Millisecond, time.Minute} {
		for range 200 {
			if got := b.Jitter(d); got < d/2 || got > d {
				t.Fatalf("Jitter(%v) = %v", d, got)
			}
		}
	}
	if b.Jitter(-time.Second) != 0 {
		t.Fatal("negative wait")
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Fatal("a full wait reported as cancelled")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("a cancelled wait reported as full")
	}
}
