package hub

import (
	"testing"
	"time"
)

func TestJobHealthStale(t *testing.T) {
	var h jobHealth
	h.register(Job{Name: "offline-check", Every: 15 * time.Second})
	h.register(Job{Name: "pulse", Every: time.Second})
	start := h.started
	tests := []struct {
		name  string
		okAt  time.Duration // since start; <0 for never
		now   time.Duration
		stale string
	}{
		{"fresh start", -1, 10 * time.Second, ""},
		{"never succeeded within 2 intervals + 30s", -1, 59 * time.Second, ""},
		{"never succeeded past that", -1, 61 * time.Second, "offline-check"},
		{"succeeded lately", 50 * time.Second, 100 * time.Second, ""},
		{"failing since", 50 * time.Second, 111 * time.Second, "offline-check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delete(h.lastOK, "offline-check")
			if tt.okAt >= 0 {
				h.lastOK["offline-check"] = start.Add(tt.okAt)
			}
			// The pulse's own job never counts (it is the one asking).
			if got := h.stale(start.Add(tt.now), "pulse"); got != tt.stale {
				t.Errorf("stale = %q, want %q", got, tt.stale)
			}
		})
	}
}
