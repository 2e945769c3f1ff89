package collect

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// fake is a collector whose Collect runs do.
type fake struct {
	name string
	do   func(ctx context.Context) (Part, error)
}

func (f *fake) Name() string { return f.name }
func (f *fake) Collect(ctx context.Context, _ bool) (Part, error) {
	return f.do(ctx)
}

// withFallback adds Failed to a fake: it reports the error as the hostname.
type withFallback struct{ *fake }

func (withFallback) Failed(err error) Part {
	return func(hb *homelabcmd.Heartbeat) { hb.Hostname = "failed: " + err.Error() }
}

// works sets the heartbeat's metrics.
func works(context.Context) (Part, error) {
	return func(hb *homelabcmd.Heartbeat) { hb.Metrics = &homelabcmd.Metrics{} }, nil
}

// syncBuffer is a log sink that tests can read while collectors log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, nil)), buf
}

// However the other collector fails, the working one's part is there, the
// failing one's fallback (if any) is used, and Fill returns by the deadline.
func TestFillSurvivesABadCollector(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name         string
		bad          Collector
		wantHostname string // prefix; "" means the bad part is left out
	}{
		{"error", &fake{name: "bad", do: func(context.Context) (Part, error) { return nil, errors.New("boom") }}, ""},
		{"error with fallback", withFallback{&fake{name: "bad", do: func(context.Context) (Part, error) {
			return func(hb *homelabcmd.Heartbeat) { hb.Hostname = "must not be used" }, errors.New("boom")
		}}}, "failed: boom"},
		{"honours the deadline", withFallback{&fake{name: "bad", do: func(ctx context.Context) (Part, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}}, "failed: "},
		{"ignores the deadline", withFallback{&fake{name: "bad", do: func(context.Context) (Part, error) {
			<-release
			return nil, nil
		}}}, "failed: no answer within 50ms"},
		{"panics", withFallback{&fake{name: "bad", do: func(context.Context) (Part, error) { panic("oops") }}}, "failed: panic: oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, _ := newLogger()
			r := NewRunner([]Collector{tt.bad, &fake{name: "good", do: works}}, 50*time.Millisecond, logger)
			hb := &homelabcmd.Heartbeat{}
			start := time.Now()
			r.Fill(context.Background(), hb, true)
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("Fill took %v", took)
			}
			if hb.Metrics == nil {
				t.Fatal("the working collector's part is missing")
			}
			if !strings.HasPrefix(hb.Hostname, tt.wantHostname) || (tt.wantHostname == "") != (hb.Hostname == "") {
				t.Fatalf("hostname %q, want prefix %q", hb.Hostname, tt.wantHostname)
			}
		})
	}
}

// A collector hung past its deadline is not started again while it hangs;
// once it returns, it runs again.
func TestHungCollectorIsNotStackedUp(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	hang := withFallback{&fake{name: "hang", do: func(context.Context) (Part, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			<-release
		}
		return works(context.Background())
	}}}
	logger, _ := newLogger()
	r := NewRunner([]Collector{hang}, 20*time.Millisecond, logger)
	for range 3 {
		hb := &homelabcmd.Heartbeat{}
		r.Fill(context.Background(), hb, false)
		if hb.Metrics != nil {
			t.Fatal("a late answer was used")
		}
	}
	hb := &homelabcmd.Heartbeat{}
	r.Fill(context.Background(), hb, false)
	if !strings.Contains(hb.Hostname, ErrBusy.Error()) {
		t.Fatalf("hostname %q, want the busy error", hb.Hostname)
	}
	mu.Lock()
	if calls != 1 {
		t.Fatalf("started %d times while hung", calls)
	}
	mu.Unlock()
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		hb := &homelabcmd.Heartbeat{}
		r.Fill(context.Background(), hb, false)
		if hb.Metrics != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the collector never ran again")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A failure is logged when it starts and when it ends, not at each heartbeat.
func TestFailureLoggedOncePerChange(t *testing.T) {
	var mu sync.Mutex
	var fail error
	c := &fake{name: "flaky", do: func(context.Context) (Part, error) {
		mu.Lock()
		defer mu.Unlock()
		return nil, fail
	}}
	set := func(err error) {
		mu.Lock()
		fail = err
		mu.Unlock()
	}
	logger, buf := newLogger()
	r := NewRunner([]Collector{c}, time.Second, logger)
	fill := func() { r.Fill(context.Background(), &homelabcmd.Heartbeat{}, true) }
	fill()
	set(errors.New("bus gone"))
	for range 5 {
		fill()
	}
	set(nil)
	fill()
	fill()
	set(errors.New("bus gone"))
	fill()
	log := buf.String()
	if n := strings.Count(log, "collector failed"); n != 2 {
		t.Fatalf("%d failure lines, want 2:\n%s", n, log)
	}
	if n := strings.Count(log, "collector works again"); n != 1 {
		t.Fatalf("%d recovery lines, want 1:\n%s", n, log)
	}
	if !strings.Contains(log, "collector=flaky") || !strings.Contains(log, "bus gone") {
		t.Fatalf("log lacks the name or the reason:\n%s", log)
	}
}

// Parts are applied in list order, so the last collector wins a field.
func TestPartsInListOrder(t *testing.T) {
	set := func(name string) *fake {
		return &fake{name: name, do: func(context.Context) (Part, error) {
			if name == "first" {
				time.Sleep(20 * time.Millisecond) // answers last
			}
			return func(hb *homelabcmd.Heartbeat) { hb.Hostname = name }, nil
		}}
	}
	logger, _ := newLogger()
	r := NewRunner([]Collector{set("first"), set("second")}, time.Second, logger)
	hb := &homelabcmd.Heartbeat{}
	r.Fill(context.Background(), hb, true)
	if hb.Hostname != "second" {
		t.Fatalf("hostname %q", hb.Hostname)
	}
}
