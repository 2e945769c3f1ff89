package agent

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustOpen(t *testing.T, dir string, maxBytes int64, maxAge time.Duration) *Outbox {
	t.Helper()
	o, err := OpenOutbox(dir, maxBytes, maxAge, discard())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// drain peeks and removes until empty, returning the bodies in order.
func drain(t *testing.T, o *Outbox, now time.Time) []string {
	t.Helper()
	var out []string
	for {
		seq, body, ok, err := o.Peek(now)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, string(body))
		o.Remove(seq)
	}
}

func TestOutboxOrderSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	o := mustOpen(t, dir, 1<<20, time.Hour)
	// The clock jumps back between the 2nd and 3rd: order is still the order made.
	stamps := []time.Time{now, now.Add(time.Second), now.Add(-time.Minute), now.Add(2 * time.Second)}
	for i, ts := range stamps {
		if err := o.Append(ts, []byte(fmt.Sprintf("hb%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "00000000000000000099-1.json.tmp"), []byte("half"), 0o600)
	o = mustOpen(t, dir, 1<<20, time.Hour)
	if o.Len() != 4 || o.Bytes() != 12 {
		t.Fatalf("reopened: %d entries, %d bytes", o.Len(), o.Bytes())
	}
	if _, err := os.Stat(filepath.Join(dir, "00000000000000000099-1.json.tmp")); !os.IsNotExist(err) {
		t.Fatal("half-written file left behind")
	}
	// New entries after a reopen go after the old ones.
	o.Append(now, []byte("hb4"))
	got := drain(t, o, now)
	if fmt.Sprint(got) != "[hb0 hb1 hb2 hb3 hb4]" {
		t.Fatalf("order %v", got)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
}

func TestOutboxSizeBoundDropsOldest(t *testing.T) {
	o := mustOpen(t, t.TempDir(), 25, time.Hour)
	now := time.Now()
	for i := range 5 {
		o.Append(now, []byte(fmt.Sprintf("heartbeat%d", i))) // 10 bytes each
	}
	if o.Bytes() > 25 || o.Len() != 2 {
		t.Fatalf("%d entries, %d bytes", o.Len(), o.Bytes())
	}
	if got := drain(t, o, now); fmt.Sprint(got) != "[heartbeat3 heartbeat4]" {
		t.Fatalf("kept %v", got)
	}
}

func TestOutboxAgeBoundDropsOld(t *testing.T) {
	o := mustOpen(t, t.TempDir(), 1<<20, time.Hour)
	now := time.Now()
	o.Append(now.Add(-3*time.Hour), []byte("old1"))
	o.Append(now.Add(-2*time.Hour), []byte("old2"))
	o.Append(now.Add(-30*time.Minute), []byte("recent"))
	if got := drain(t, o, now); fmt.Sprint(got) != "[recent]" {
		t.Fatalf("kept %v", got)
	}
}

func TestOutboxTimestampKeptInName(t *testing.T) {
	dir := t.TempDir()
	o := mustOpen(t, dir, 1<<20, time.Hour)
	ts := time.Date(2026, 5, 1, 12, 0, 0, 123, time.UTC)
	o.Append(ts, []byte("x"))
	o = mustOpen(t, dir, 1<<20, 100*365*24*time.Hour)
	if o.entries[0].ts.UnixNano() != ts.UnixNano() {
		t.Fatalf("ts %v", o.entries[0].ts)
	}
}
