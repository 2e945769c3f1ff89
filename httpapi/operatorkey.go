package httpapi

import (
	"context"
	"sync"
	"time"
)

// keyRefreshEvery is how long a stored operator key hash is trusted before
// it is read again, so that `homelabcmd key reset` reaches a running hub.
const keyRefreshEvery = time.Second

// storedKey re-reads the operator key's hash from the store.
type storedKey struct {
	read func(ctx context.Context) (string, error)
	mu   sync.Mutex
	at   time.Time
}

// UseStoredKey makes the server read the operator key's hash through read
// (at most once a second) instead of trusting the hash it was built with:
// a generated key can be reset by another process. Call before Open.
func (s *Server) UseStoredKey(read func(ctx context.Context) (string, error)) {
	s.keyStore = &storedKey{read: read, at: time.Now()}
}

// operatorKeyHash is the current hash of the operator key.
func (s *Server) operatorKeyHash() string {
	k := s.keyStore
	if k == nil {
		return s.apiKeyHash
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.at) >= keyRefreshEvery {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		h, err := k.read(ctx)
		cancel()
		if err != nil {
			s.logger.Warn("could not re-read the operator key; using the last one", "err", err)
		} else if h != "" {
			s.apiKeyHash = h
		}
		k.at = time.Now()
	}
	return s.apiKeyHash
}
