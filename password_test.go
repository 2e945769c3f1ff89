package homelabcmd

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, "horse") {
		t.Fatalf("hash %q", h)
	}
	if h == HashPassword("correct horse battery") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	parts := strings.Split(h, "$")
	for _, tc := range []struct {
		name, pw, hash string
		want           bool
	}{
		{"right", "correct horse battery", h, true},
		{"wrong", "correct horse batterY", h, false},
		{"empty", "", h, false},
		{"empty hash", "correct horse battery", "", false},
		{"SHA-256 instead", "correct horse battery", HashSecret("correct horse battery"), false},
		{"argon2i", "correct horse battery", strings.Replace(h, "argon2id", "argon2i", 1), false},
		{"huge memory", "correct horse battery", strings.Replace(h, "m=65536", "m=99999999", 1), false},
		{"no key", "correct horse battery", strings.Join(parts[:5], "$") + "$", false},
		{"bad base64", "correct horse battery", strings.Join(parts[:4], "$") + "$!!$" + parts[5], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PasswordMatches(tc.pw, tc.hash); got != tc.want {
				t.Fatalf("PasswordMatches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		have, need Role
		want       bool
	}{
		{RoleAdmin, RoleViewer, true}, {RoleAdmin, RoleOperator, true}, {RoleAdmin, RoleAdmin, true},
		{RoleOperator, RoleViewer, true}, {RoleOperator, RoleOperator, true}, {RoleOperator, RoleAdmin, false},
		{RoleViewer, RoleViewer, true}, {RoleViewer, RoleOperator, false}, {RoleViewer, RoleAdmin, false},
		{"", RoleViewer, false}, {"root", RoleViewer, false}, {RoleAdmin, "root", false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
}

// TestPasswordChecksWaitForASlot: with every argon2id slot taken, a check
// does not start (its memory is bounded), and it runs once a slot frees.
func TestPasswordChecksWaitForASlot(t *testing.T) {
	h := HashPassword("correct horse battery")
	for range cap(argonSlots) {
		argonSlots <- struct{}{}
	}
	done := make(chan bool)
	go func() { done <- PasswordMatches("correct horse battery", h) }()
	select {
	case <-done:
		t.Fatal("a password check ran while every slot was taken")
	case <-time.After(100 * time.Millisecond):
	}
	for range cap(argonSlots) {
		<-argonSlots
	}
	if !<-done {
		t.Fatal("the check failed after it got a slot")
	}
}
