package agent

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outbox is the durable queue of heartbeats the hub has not accepted yet:
// one file per heartbeat, named by a sequence number so that replay keeps
// the order in which they were made, even if the clock jumps. It is bounded
// by total size and by age; the oldest entries go first. Safe for
// concurrent use.
type Outbox struct {
	dir      string
	maxBytes int64
	maxAge   time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	entries []outboxEntry // oldest first
	total   int64
	nextSeq uint64
}

type outboxEntry struct {
	name string
	seq  uint64
	ts   time.Time
	size int64
}

// OpenOutbox opens (creating it, mode 0700) the outbox in dir, keeping what
// an earlier run left there and removing half-written files.
func OpenOutbox(dir string, maxBytes int64, maxAge time.Duration, logger *slog.Logger) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &Outbox{dir: dir, maxBytes: maxBytes, maxAge: maxAge, logger: logger, nextSeq: 1}
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	for _, f := range files {
		name := f.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		e, ok := parseEntryName(name)
		if !ok {
			continue
		}
		info, err := f.Info()
		if err != nil {
			continue
		}
		e.size = info.Size()
		o.entries = append(o.entries, e)
		o.total += e.size
		if e.seq >= o.nextSeq {
			o.nextSeq = e.seq + 1
		}
	}
	sort.Slice(o.entries, func(i, j int) bool { return o.entries[i].seq < o.entries[j].seq })
	return o, nil
}

// entry names: <seq, 20 digits>-<unix nanoseconds of the heartbeat>.json
func parseEntryName(name string) (outboxEntry, bool) {
	base, ok := strings.CutSuffix(name, ".json")
	if !ok {
		return outboxEntry{}, false
	}
	a, b, ok := strings.Cut(base, "-")
	if !ok {
		return outboxEntry{}, false
	}
	seq, err1 := strconv.ParseUint(a, 10, 64)
	ns, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return outboxEntry{}, false
	}
	return outboxEntry{name: name, seq: seq, ts: time.Unix(0, ns)}, true
}

// Len is the number of queued heartbeats.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.entries)
}

// Bytes is the total size of the queued heartbeats.
func (o *Outbox) Bytes() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total
}

// Append stores a heartbeat made at ts, durably (fsync of the file and the
// folder), then drops the oldest entries beyond the size bound.
func (o *Outbox) Append(ts time.Time, body []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := outboxEntry{seq: o.nextSeq, ts: ts, size: int64(len(body))}
	e.name = fmt.Sprintf("%020d-%d.json", e.seq, ts.UnixNano())
	tmp := filepath.Join(o.dir, e.name+".tmp")
	if err := writeSync(tmp, body); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(o.dir, e.name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("outbox: %w", err)
	}
	syncDir(o.dir)
	o.nextSeq++
	o.entries = append(o.entries, e)
	o.total += e.size
	dropped := 0
	for o.total > o.maxBytes && len(o.entries) > 1 {
		o.removeLocked(0)
		dropped++
	}
	if dropped > 0 {
		o.logger.Warn("outbox full: dropped the oldest heartbeats", "dropped", dropped, "max_bytes", o.maxBytes)
	}
	return nil
}

// Peek returns the oldest heartbeat still within the age bound (dropping
// older ones), or ok=false when the outbox is empty.
func (o *Outbox) Peek(now time.Time) (seq uint64, body []byte, ok bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	dropped := 0
	for len(o.entries) > 0 && now.Sub(o.entries[0].ts) > o.maxAge {
		o.removeLocked(0)
		dropped++
	}
	if dropped > 0 {
		o.logger.Warn("outbox: dropped heartbeats older than the age limit", "dropped", dropped, "max_age", o.maxAge)
	}
	for len(o.entries) > 0 {
		e := o.entries[0]
		body, err = os.ReadFile(filepath.Join(o.dir, e.name))
		if err == nil {
			return e.seq, body, true, nil
		}
		o.logger.Warn("outbox: unreadable entry dropped", "file", e.name, "err", err)
		o.removeLocked(0)
	}
	return 0, nil, false, nil
}

// Remove deletes the entry with seq (after the hub accepted it).
func (o *Outbox) Remove(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, e := range o.entries {
		if e.seq == seq {
			o.removeLocked(i)
			return
		}
	}
}

func (o *Outbox) removeLocked(i int) {
	e := o.entries[i]
	if err := os.Remove(filepath.Join(o.dir, e.name)); err != nil && !os.IsNotExist(err) {
		o.logger.Warn("outbox: cannot delete an entry", "file", e.name, "err", err)
	}
	o.total -= e.size
	o.entries = append(o.entries[:i], o.entries[i+1:]...)
}

func writeSync(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
