package hub_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/sqlstore"
)

// sickStore is a real store whose database can be made to fail.
type sickStore struct {
	*sqlstore.DB
	down atomic.Bool
	// refused counts the transactions refused while down.
	refused atomic.Int64
}

var errDown = errors.New("database unreachable")

func (s *sickStore) InTx(ctx context.Context, fn func(homelabcmd.Tx) error) error {
	if s.down.Load() {
		s.refused.Add(1)
		return errDown
	}
	return s.DB.InTx(ctx, fn)
}

func (s *sickStore) GetConfig(ctx context.Context, key string) (string, bool, error) {
	if s.down.Load() {
		return "", false, errDown
	}
	return s.DB.GetConfig(ctx, key)
}

// pulseReceiver counts the pings it gets.
type pulseReceiver struct {
	mu    sync.Mutex
	pings int
	agent string
}

func (p *pulseReceiver) count() int { p.mu.Lock(); defer p.mu.Unlock(); return p.pings }

func (p *pulseReceiver) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for p.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("pings = %d after 30s, want %d", p.count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPulseStopsWhileTheDatabaseIsDown(t *testing.T) {
	forEachDB(t, func(t *testing.T, f *fixture) {
		rc := &pulseReceiver{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc.mu.Lock()
			rc.pings++
			rc.agent = r.Header.Get("User-Agent")
			rc.mu.Unlock()
		}))
		defer srv.Close()
		store := &sickStore{DB: f.DB}
		e := hub.New(store, f.Events, hub.Options{})
		if err := e.CheckHealth(context.Background()); err != nil {
			t.Fatalf("healthy store: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx, e.PulseJob(srv.URL+"/ping/uuid", 10*time.Millisecond, nil)); close(done) }()
		defer func() { cancel(); <-done }()

		rc.waitFor(t, 3)
		if rc.agent == "" {
			t.Error("no User-Agent")
		}
		store.down.Store(true)
		if err := e.CheckHealth(context.Background()); !errors.Is(err, errDown) {
			t.Fatalf("CheckHealth with the database down = %v", err)
		}
		// The job probes, then pings, in turn: once a probe failed, a ping
		// that passed its probe before the outage has landed.
		base := store.refused.Load()
		for deadline := time.Now().Add(30 * time.Second); store.refused.Load() == base; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no health probe within 30s of the outage")
			}
		}
		n := rc.count()
		time.Sleep(200 * time.Millisecond) // 20 pulse intervals
		if got := rc.count(); got != n {
			t.Fatalf("%d pings arrived while the database was down", got-n)
		}
		store.down.Store(false)
		rc.waitFor(t, n+2)
	})
}
