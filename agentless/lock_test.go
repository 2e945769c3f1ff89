package agentless

import (
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

// TestLockServer: one install, upgrade or removal per server at a time.
func TestLockServer(t *testing.T) {
	s := &Service{}
	unlock, err := s.lockServer("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.lockServer("a"); homelabcmd.ErrorCode(err) != homelabcmd.ECONFLICT {
		t.Fatalf("second lock: %v", err)
	}
	unlockB, err := s.lockServer("b")
	if err != nil {
		t.Fatalf("another server: %v", err)
	}
	unlockB()
	unlock()
	again, err := s.lockServer("a")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
}
