package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/hub"
	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/dispatch"
	"github.com/homelabcmd/homelabcmd/notify/webhook"
	"github.com/homelabcmd/homelabcmd/sqlstore"
	"github.com/homelabcmd/homelabcmd/sqlstore/storetest"
)

const key = "dispatch-test-key-0123"

// receiver counts deliveries by message id and answers with status.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	byID   map[string]int
	total  int
	badSig int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{byID: map[string]int{}}
	r.status.Store(200)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		st := int(r.status.Load())
		if st == 200 {
			r.mu.Lock()
			r.total++
			r.byID[req.Header.Get(webhook.IDHeader)]++
			if !webhook.Verify(key, body, req.Header.Get(webhook.SignatureHeader)) {
				r.badSig++
			}
			r.mu.Unlock()
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func open(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func setup(t *testing.T, db *sqlstore.DB, rcv *receiver, services int) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateServer(ctx, &homelabcmd.Server{ID: "nas", Hostname: "nas.lan"}); err != nil {
		t.Fatal(err)
	}
	for i := range services {
		if err := db.CreateExpectedService(ctx, homelabcmd.NewExpectedService("nas", fmt.Sprintf("svc%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _ := json.Marshal(webhook.Config{URL: rcv.srv.URL + "/hook", Secret: key})
	if err := hub.New(db, nil, hub.Options{NotifyGuard: loopback}).CreateChannel(ctx, &homelabcmd.Channel{Name: "hook", Type: "webhook", Config: cfg, MinSeverity: "low", SendResolved: true, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// flip reports every service with status st, one heartbeat.
func flip(t *testing.T, db *sqlstore.DB, services int, st homelabcmd.ServiceStatusValue, at time.Time) {
	t.Helper()
	hb := &homelabcmd.Heartbeat{ServerID: "nas", Hostname: "nas.lan", Timestamp: homelabcmd.Time{Time: at}, Services: []homelabcmd.ServiceReport{}}
	for i := range services {
		hb.Services = append(hb.Services, homelabcmd.ServiceReport{Name: fmt.Sprintf("svc%d", i), Status: st})
	}
	// No grouping window, no recovery hold: these tests count every
	// heartbeat's notifications (the openings of one heartbeat still go out
	// as one).
	cfg := alerting.DefaultConfig()
	cfg.Thresholds.GroupSeconds, cfg.Thresholds.Flapping.RecoveryHoldSeconds = 0, 0
	if _, err := hub.New(db, nil, hub.Options{Alerting: cfg}).Ingest(context.Background(), hb, homelabcmd.IngestMeta{}); err != nil {
		t.Fatal(err)
	}
}

func drain(t *testing.T, d *dispatch.Dispatcher) {
	t.Helper()
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestDeliversOnceWithSignature(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		rcv := newReceiver(t)
		setup(t, db, rcv, 3)
		flip(t, db, 3, homelabcmd.StatusStopped, time.Now())
		flip(t, db, 3, homelabcmd.StatusRunning, time.Now())
		drain(t, &dispatch.Dispatcher{Store: db, Guard: loopback, Owner: "hub-a"})
		// One grouped "opened" for the three stops, three "resolved".
		if rcv.total != 4 || len(rcv.byID) != 4 || rcv.badSig != 0 {
			t.Fatalf("deliveries = %d (%d distinct, %d bad signatures), want 4", rcv.total, len(rcv.byID), rcv.badSig)
		}
		drain(t, &dispatch.Dispatcher{Store: db, Guard: loopback, Owner: "hub-a"})
		if rcv.total != 4 {
			t.Fatalf("a second pass delivered again: %d", rcv.total)
		}
	})
}

func TestRetriesThenFails(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		rcv := newReceiver(t)
		setup(t, db, rcv, 1)
		now := time.Now()
		d := &dispatch.Dispatcher{Store: db, Guard: loopback, Owner: "hub-a", Backoff: []time.Duration{time.Second}, Now: func() time.Time { return now }}
		db.Now = func() time.Time { return now }
		flip(t, db, 1, homelabcmd.StatusStopped, now)

		rcv.status.Store(503)
		drain(t, d)
		rows, _ := db.ListOutbox(context.Background(), "queued", 10)
		if len(rows) != 1 || rows[0].Attempts != 1 || rows[0].LastError == nil {
			t.Fatalf("after a 503: %+v", rows)
		}
		now = now.Add(time.Second)
		rcv.status.Store(400)
		drain(t, d)
		rows, _ = db.ListOutbox(context.Background(), "failed", 10)
		if len(rows) != 1 || rows[0].Attempts != 2 {
			t.Fatalf("after a 400: %+v", rows)
		}
	})
}

// TestTwoHubsDeliverExactlyOnce runs two dispatchers on two connections to
// one database, as two hubs would, against many transitions at once.
func TestTwoHubsDeliverExactlyOnce(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, url string) {
		a := open(t, url)
		b := open(t, url)
		rcv := newReceiver(t)
		const services = 25
		setup(t, a, rcv, services)
		now := time.Now()
		for i := range 4 { // 4 × 25 transitions
			st := homelabcmd.StatusStopped
			if i%2 == 1 {
				st = homelabcmd.StatusRunning
			}
			flip(t, a, services, st, now.Add(time.Duration(i)*time.Second))
		}
		var wg sync.WaitGroup
		for _, h := range []struct {
			db    *sqlstore.DB
			owner string
		}{{a, "hub-a"}, {b, "hub-b"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				drain(t, &dispatch.Dispatcher{Store: h.db, Guard: loopback, Owner: h.owner})
			}()
		}
		wg.Wait()
		// Each stop heartbeat is one grouped "opened"; each start, one
		// "resolved" per service.
		if want := 2 + 2*services; rcv.total != want || len(rcv.byID) != want {
			t.Fatalf("deliveries = %d (%d distinct), want %d", rcv.total, len(rcv.byID), want)
		}
	})
}

// Run, left alone (no wake-up, a safety poll far away), delivers what is
// due at once and sleeps only until the next retry falls due: a 503 then
// a 200 reaches the receiver after the backoff, not after the safety poll.
func TestRunSleepsUntilTheNextRetry(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		rcv := newReceiver(t)
		setup(t, db, rcv, 1)
		rcv.status.Store(503)
		flip(t, db, 1, homelabcmd.StatusStopped, time.Now())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		// Retries every 300 ms, many times: should the receiver still fail a
		// retry (a slow test machine), the next one comes 300 ms later.
		retries := make([]time.Duration, 50)
		for i := range retries {
			retries[i] = 300 * time.Millisecond
		}
		d := &dispatch.Dispatcher{Store: db, Guard: loopback, Owner: "hub-a", Backoff: retries, SafetyPoll: time.Hour}
		go func() { d.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			rows, _ := db.ListOutbox(context.Background(), "queued", 10)
			if len(rows) == 1 && rows[0].Attempts >= 1 {
				break // the first attempt failed; the retry waits 300 ms
			}
			if time.Now().After(deadline) {
				t.Fatalf("no first attempt: %+v", rows)
			}
			time.Sleep(20 * time.Millisecond)
		}
		rcv.status.Store(200)
		for {
			rcv.mu.Lock()
			n := rcv.total
			rcv.mu.Unlock()
			if n == 1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the retry never came before the safety poll")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// loopback lets channels reach the test receivers on 127.0.0.1, as the
// hub's notify_allow_private does.
var loopback = notify.NewGuard(true)
