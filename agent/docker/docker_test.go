package docker

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// fakeEngine serves the Engine API paths the client uses on a unix socket.
type fakeEngine struct {
	mu       sync.Mutex
	events   atomic.Int32 // /events requests so far
	inspects atomic.Int32
	posts    []string
	cpu      uint64
}

func startEngine(t *testing.T) (*fakeEngine, string) {
	t.Helper()
	f := &fakeEngine{}
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return f, "unix://" + sock
}

func (f *fakeEngine) serve(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, apiVersion)
	switch {
	case p == "/containers/json" && r.URL.Query().Get("all") == "1":
		fmt.Fprint(w, `[{"Id":"aaa","Names":["/web"],"State":"running"},{"Id":"bbb","Names":["/job"],"State":"exited"},{"Id":"ccc","Names":["/gone"]}]`)
	// Counts every inspect, then falls through to the cases below.
	case strings.HasSuffix(p, "/json") && p != "/containers/json" && f.inspects.Add(1) < 0:
	case p == "/containers/aaa/json":
		fmt.Fprint(w, `{"Id":"aaa","Name":"/web","RestartCount":2,"State":{"Status":"running","StartedAt":"2026-11-29T10:00:00.5Z","FinishedAt":"0001-01-01T00:00:00Z","Health":{"Status":"unhealthy"}},
			"Config":{"Image":"nginx:1","Labels":{"com.docker.compose.project":"site","com.docker.compose.service":"web"}}}`)
	case p == "/containers/bbb/json":
		fmt.Fprint(w, `{"Id":"bbb","Name":"/job","State":{"Status":"exited","ExitCode":137,"OOMKilled":true,"FinishedAt":"2026-11-29T11:00:00Z"},"Config":{"Image":"busybox"}}`)
	case p == "/containers/ccc/json":
		w.WriteHeader(404)
		fmt.Fprint(w, `{"message":"No such container: ccc"}`)
	case p == "/containers/aaa/stats":
		f.mu.Lock()
		f.cpu += 5e8 // half a second of one core per sample
		cpu := f.cpu
		f.mu.Unlock()
		fmt.Fprintf(w, `{"cpu_stats":{"cpu_usage":{"total_usage":%d},"system_cpu_usage":%d,"online_cpus":2},"memory_stats":{"usage":%d,"stats":{"inactive_file":%d}}}`,
			cpu, cpu*4, 30<<20, 10<<20)
	case r.Method == "POST" && strings.HasPrefix(p, "/containers/"):
		f.mu.Lock()
		f.posts = append(f.posts, p)
		f.mu.Unlock()
		if strings.Contains(p, "/nope/") {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"message":"No such container: nope"}`)
			return
		}
		w.WriteHeader(204)
	case p == "/events":
		n := f.events.Add(1)
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		fmt.Fprintln(w, `{"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"aaa"}}`)
		fmt.Fprintln(w, `{"Type":"container","Action":"exec_start: ls","Actor":{"ID":"aaa"}}`)
		w.(http.Flusher).Flush()
		if n == 1 {
			return // the first stream breaks, as when the daemon restarts
		}
		<-r.Context().Done()
	default:
		w.WriteHeader(404)
	}
}

func TestCollectMapsEveryContainer(t *testing.T) {
	_, host := startEngine(t)
	c, err := NewClient(host)
	if err != nil {
		t.Fatal(err)
	}
	k := NewCollector(c, slog.Default())
	var hb homelabcmd.Heartbeat
	for range 2 { // the second full collection has a CPU figure
		part, err := k.Collect(context.Background(), true)
		if err != nil || part == nil {
			t.Fatalf("Collect: %v", err)
		}
		part(&hb)
	}
	if len(hb.Containers) != 2 {
		t.Fatalf("containers %+v, want web and job (gone is skipped)", hb.Containers)
	}
	job, web := hb.Containers[0], hb.Containers[1]
	if web.Name != "web" || web.Health != "unhealthy" || *web.RestartCount != 2 || web.Image != "nginx:1" || web.ComposeProject != "site" ||
		web.ComposeService != "web" || web.ExitCode != nil || web.FinishedAt != nil || web.StartedAt == nil || web.StartedAt.Nanosecond() != 5e8 {
		t.Errorf("web = %+v", web)
	}
	if web.MemoryMB == nil || *web.MemoryMB != 20 || web.CPUPercent == nil || *web.CPUPercent != 50 {
		t.Errorf("web memory %v MB cpu %v %%, want 20 (usage less inactive_file) and 50 (0.5 s of 2 cores' 2 s)", web.MemoryMB, web.CPUPercent)
	}
	if job.State != "exited" || *job.ExitCode != 137 || !job.OOMKilled || job.Health != "none" || job.MemoryMB != nil {
		t.Errorf("job = %+v", job)
	}
	hb.ServerID, hb.Hostname, hb.Timestamp = "nas", "nas", homelabcmd.Time{Time: time.Now()}
	if err := hb.Validate(); err != nil {
		t.Errorf("the collected heartbeat is invalid: %v", err)
	}
}

// No engine: the collector says so once and the heartbeat goes without
// containers (absent, not stopped).
func TestCollectWithoutEngine(t *testing.T) {
	c, _ := NewClient("unix://" + filepath.Join(t.TempDir(), "none.sock"))
	var logs bytes.Buffer
	k := NewCollector(c, slog.New(slog.NewTextHandler(&logs, nil)))
	for range 3 {
		part, err := k.Collect(context.Background(), true)
		if part != nil || err != nil {
			t.Fatalf("Collect without an engine: %v, %v; want no part and no error", part != nil, err)
		}
	}
	if n := strings.Count(logs.String(), "no container engine"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

// Each container event is a change; a broken stream is reopened with
// backoff and the reopening is a change too (containers may have moved).
func TestWatchReconnects(t *testing.T) {
	f, host := startEngine(t)
	c, _ := NewClient(host)
	k := NewCollector(c, slog.Default())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var changes atomic.Int32
	done := make(chan struct{})
	go func() { k.Watch(ctx, func() { changes.Add(1) }); close(done) }()
	// Stream 1: one health_status change (exec_start is ignored); stream
	// 2: the reconnect and one more.
	deadline := time.Now().Add(10 * time.Second)
	for changes.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got, n := changes.Load(), f.events.Load(); got != 3 || n != 2 {
		t.Errorf("changes %d over %d streams, want 3 over 2", got, n)
	}
	cancel()
	<-done
}

func TestActions(t *testing.T) {
	f, host := startEngine(t)
	c, _ := NewClient(host)
	ctx := context.Background()
	for _, do := range []func(context.Context, string) error{c.Restart, c.Start, c.Stop} {
		if err := do(ctx, "web"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Stop(ctx, "nope"); !NotFound(err) || !strings.Contains(err.Error(), "No such container") {
		t.Errorf("stop of an unknown container: %v", err)
	}
	if got := strings.Join(f.posts, " "); got != "/containers/web/restart /containers/web/start /containers/web/stop /containers/nope/stop" {
		t.Errorf("posts %s", got)
	}
	if _, err := NewClient("tcp://10.0.0.1:2375"); err == nil {
		t.Error("a TCP docker_host was accepted; only unix sockets are")
	}
}

// While the event stream is open, a container no event named and whose list
// entry says the same is not inspected again; one an event named is.
func TestCollectReusesInspectsWhileWatching(t *testing.T) {
	f, host := startEngine(t)
	c, _ := NewClient(host)
	k := NewCollector(c, slog.Default())
	k.Stats = false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 16)
	go k.Watch(ctx, func() { changed <- struct{}{} })
	// The second stream stays open: wait for its reconnect change.
	for f.events.Load() < 2 {
		<-changed
	}
	time.Sleep(50 * time.Millisecond) // its events are read
	collect := func() int32 {
		before := f.inspects.Load()
		if _, err := k.Collect(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		return f.inspects.Load() - before
	}
	if n := collect(); n != 3 {
		t.Fatalf("first collection inspected %d, want 3 (all)", n)
	}
	if n := collect(); n != 1 {
		t.Fatalf("second collection inspected %d, want 1 (ccc, which is gone and so never cached)", n)
	}
	k.mark("aaa", nil)
	if n := collect(); n != 2 {
		t.Fatalf("after an event for aaa: %d inspects, want 2 (aaa and ccc)", n)
	}
}
