package agentless

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	l := rateLimiter{max: 10, per: time.Minute}
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for i := range 10 {
		if !l.allow("alice", t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("call %d refused", i+1)
		}
	}
	if l.allow("alice", t0.Add(30*time.Second)) {
		t.Fatal("11th call within a minute allowed")
	}
	if !l.allow("bob", t0.Add(30*time.Second)) {
		t.Fatal("another caller was limited")
	}
	if !l.allow("alice", t0.Add(61*time.Second)) {
		t.Fatal("a call after the window was refused")
	}
}
