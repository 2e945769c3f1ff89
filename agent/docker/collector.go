package docker

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent/collect"
	"github.com/homelabcmd/homelabcmd/backoff"
)

// Compose's labels on the containers it creates.
const (
	labelComposeProject = "com.docker.compose.project"
	labelComposeService = "com.docker.compose.service"
)

// watchedActions are the container events worth a heartbeat.
var watchedActions = map[string]bool{
	"create": true, "start": true, "restart": true, "die": true, "stop": true, "kill": false, "oom": true,
	"pause": true, "unpause": true, "destroy": true, "rename": true, "health_status": true,
}

// Collector reports every container and follows the Engine's events. With
// no Engine (no socket, no permission) it says so once in the log and
// reports nothing: the heartbeat leaves without containers (absent, not
// stopped) until the Engine answers.
type Collector struct {
	c      *Client
	logger *slog.Logger
	// Stats switches the per-container CPU and memory sample (one
	// one-shot stats call per running container, full heartbeats only).
	Stats bool

	mu       sync.Mutex
	down     bool // the Engine did not answer last time (logged once)
	prevCPU  map[string]cpuSample
	lastSeen []homelabcmd.ContainerReport
	// inspected caches each container's last inspect by id, with the list
	// entry it was made for; it is reused while the entry says the same,
	// no event named the container since (dirty) and the event stream is
	// open (watching), so a quiet minute costs one list call, not one
	// inspect per container.
	inspected map[string]inspected
	dirty     map[string]bool
	watching  bool
}

type inspected struct {
	key    string
	report homelabcmd.ContainerReport
}

// listKey is what of a list entry must stay the same for a cached inspect
// to be reused: the state and the health in the status text ("Up 2 hours
// (unhealthy)").
func listKey(s Summary) string {
	health := ""
	if i := strings.LastIndexByte(s.Status, '('); i >= 0 && strings.HasSuffix(s.Status, ")") {
		health = s.Status[i:]
	}
	return s.State + "|" + health
}

type cpuSample struct{ total, system uint64 }

// NewCollector returns the container collector for client c.
func NewCollector(c *Client, logger *slog.Logger) *Collector {
	return &Collector{c: c, logger: logger, Stats: true, prevCPU: map[string]cpuSample{}, inspected: map[string]inspected{}, dirty: map[string]bool{}}
}

var (
	_ collect.Collector = (*Collector)(nil)
	_ collect.Watcher   = (*Collector)(nil)
)

// Name is "containers".
func (*Collector) Name() string { return "containers" }

// Collect lists and inspects every container; on a full heartbeat it also
// samples CPU and memory of the running ones.
func (k *Collector) Collect(ctx context.Context, full bool) (collect.Part, error) {
	list, err := k.c.List(ctx)
	if err != nil {
		k.unreachable(err)
		return nil, nil // containers absent: the hub cannot tell, it does not call them stopped
	}
	k.reachable()
	k.mu.Lock()
	dirty, watching := k.dirty, k.watching
	k.dirty = map[string]bool{}
	cache := k.inspected
	k.mu.Unlock()
	next := make(map[string]inspected, len(list))
	out := make([]homelabcmd.ContainerReport, 0, len(list))
	for _, s := range list {
		key := listKey(s)
		if c, ok := cache[s.ID]; ok && watching && !dirty[s.ID] && c.key == key {
			next[s.ID] = c
			out = append(out, c.report)
			continue
		}
		in, err := k.c.InspectContainer(ctx, s.ID)
		if NotFound(err) {
			continue // removed between the list and now
		}
		if err != nil {
			k.remark(dirty)
			return nil, err
		}
		r := Report(in)
		next[s.ID] = inspected{key: key, report: r}
		out = append(out, r)
	}
	k.mu.Lock()
	k.inspected = next
	k.mu.Unlock()
	if full && k.Stats {
		k.sampleAll(ctx, out)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	k.mu.Lock()
	if !full && k.Stats {
		// A heartbeat for a change keeps the last CPU and memory figures.
		prev := map[string]homelabcmd.ContainerReport{}
		for _, r := range k.lastSeen {
			prev[r.ID] = r
		}
		for i := range out {
			if p, ok := prev[out[i].ID]; ok && out[i].State == homelabcmd.ContainerRunning {
				out[i].CPUPercent, out[i].MemoryMB = p.CPUPercent, p.MemoryMB
			}
		}
	}
	k.lastSeen = out
	k.mu.Unlock()
	return func(hb *homelabcmd.Heartbeat) { hb.Containers = out }, nil
}

// remark puts back the dirty marks of a collection that failed.
func (k *Collector) remark(dirty map[string]bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id := range dirty {
		k.dirty[id] = true
	}
}

// mark notes that an event named a container (or, with id "", that the
// stream opened or closed): the next collection inspects it again.
func (k *Collector) mark(id string, watching *bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if id != "" {
		k.dirty[id] = true
	}
	if watching != nil {
		k.watching = *watching
		if !*watching {
			k.inspected = map[string]inspected{} // events may be missed: inspect all again
		}
	}
}

// statsWait bounds the stats samples of one collection: the Engine answers
// a one-shot stats call with its next sample, up to a second away, so the
// calls run side by side and a late one is left out.
const statsWait = 3 * time.Second

// statsParallel bounds the stats calls in flight.
const statsParallel = 16

// sampleAll samples every running container side by side.
func (k *Collector) sampleAll(ctx context.Context, out []homelabcmd.ContainerReport) {
	ctx, cancel := context.WithTimeout(ctx, statsWait)
	defer cancel()
	sem := make(chan struct{}, statsParallel)
	var wg sync.WaitGroup
	for i := range out {
		if out[i].State != homelabcmd.ContainerRunning {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(r *homelabcmd.ContainerReport) {
			defer func() { <-sem; wg.Done() }()
			k.sample(ctx, r)
		}(&out[i])
	}
	wg.Wait()
}

// sample adds CPU % (since the previous sample of the container) and
// memory (usage less page cache, as docker stats shows it).
func (k *Collector) sample(ctx context.Context, r *homelabcmd.ContainerReport) {
	st, err := k.c.ContainerStats(ctx, r.ID)
	if err != nil {
		return
	}
	mem := st.Memory.Usage
	for _, key := range []string{"inactive_file", "total_inactive_file"} {
		if v, ok := st.Memory.Stats[key]; ok && v < mem {
			mem -= v
			break
		}
	}
	mb := float64(mem) / (1 << 20)
	r.MemoryMB = &mb
	k.mu.Lock()
	prev, ok := k.prevCPU[r.ID]
	cur := cpuSample{st.CPU.Usage.Total, st.CPU.System}
	k.prevCPU[r.ID] = cur
	k.mu.Unlock()
	if ok && cur.system > prev.system && cur.total >= prev.total {
		cpus := max(st.CPU.CPUs, 1)
		pct := float64(cur.total-prev.total) / float64(cur.system-prev.system) * float64(cpus) * 100
		r.CPUPercent = &pct
	}
}

// Report maps the Engine's inspect answer to a heartbeat's container.
func Report(in *Inspect) homelabcmd.ContainerReport {
	r := homelabcmd.ContainerReport{
		Name: strings.TrimPrefix(in.Name, "/"), ID: in.ID, Image: in.Config.Image,
		State: in.State.Status, Health: homelabcmd.HealthNone, OOMKilled: in.State.OOMKilled,
		ComposeProject: in.Config.Labels[labelComposeProject], ComposeService: in.Config.Labels[labelComposeService],
	}
	if len(r.ID) > 64 {
		r.ID = r.ID[:64]
	}
	if h := in.State.Health; h != nil && h.Status != "" {
		r.Health = h.Status
	}
	restarts := in.RestartCount
	r.RestartCount = &restarts
	if r.State != homelabcmd.ContainerRunning && r.State != homelabcmd.ContainerCreated {
		code := in.State.ExitCode
		r.ExitCode = &code
	}
	r.StartedAt = engineTime(in.State.StartedAt)
	r.FinishedAt = engineTime(in.State.FinishedAt)
	return r
}

// engineTime parses the Engine's RFC 3339 time; its zero ("0001-01-01…")
// means never.
func engineTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return nil
	}
	t = t.UTC()
	return &t
}

func (k *Collector) unreachable(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.down {
		k.down = true
		k.logger.Warn("no container engine: containers are not reported until it answers (docker_host, and the agent's permission on the socket)", "err", err)
	}
}

func (k *Collector) reachable() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		k.down = false
		k.logger.Info("container engine reachable again")
	}
}

// Watch follows the Engine's container events and calls changed for each
// one worth a heartbeat; when the stream breaks (the Engine restarted) it
// reconnects with backoff and calls changed once it is back, since
// containers may have changed meanwhile.
func (k *Collector) Watch(ctx context.Context, changed func()) {
	retry := backoff.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		reconnect := attempt > 0
		on, off := true, false
		err := k.c.Events(ctx, func() {
			retry.Reset()
			k.mark("", &on)
			if reconnect {
				changed()
			}
		}, func(e Event) {
			if e.Type == "container" && watchedActions[eventAction(e.Action)] {
				k.mark(e.Actor.ID, nil)
				changed()
			}
		})
		k.mark("", &off)
		if ctx.Err() != nil {
			return
		}
		k.logger.Debug("container event stream ended; reconnecting", "err", err)
		if !backoff.Sleep(ctx, retry.Next()) {
			return
		}
	}
}

// eventAction drops the detail of "health_status: unhealthy" and
// "exec_start: …".
func eventAction(a string) string {
	a, _, _ = strings.Cut(a, ":")
	return strings.TrimSpace(a)
}
