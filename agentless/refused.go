package agentless

import (
	"errors"
	"syscall"
)

// isRefused reports a TCP reset: nothing listens, but a host answered.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
