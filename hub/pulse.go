package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/notify"
)

// configKeyPulse is the setting the health probe writes and reads back.
const configKeyPulse = "hub_pulse"

// jobHealth remembers when each clock job last finished without error, so
// that the pulse stops when a job keeps failing or hangs.
type jobHealth struct {
	mu      sync.Mutex
	started time.Time
	every   map[string]time.Duration
	lastOK  map[string]time.Time
}

func (h *jobHealth) register(j Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.every == nil {
		h.every, h.lastOK = map[string]time.Duration{}, map[string]time.Time{}
		h.started = time.Now()
	}
	h.every[j.Name] = j.Every
}

func (h *jobHealth) ok(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastOK != nil {
		h.lastOK[name] = time.Now()
	}
}

// stale returns a job that has not succeeded for two of its intervals and
// 30 s (counted from the start for one that never did), or "".
func (h *jobHealth) stale(now time.Time, except string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, every := range h.every {
		if name == except {
			continue
		}
		last, ok := h.lastOK[name]
		if !ok {
			last = h.started
		}
		if now.Sub(last) > 2*every+30*time.Second {
			return name
		}
	}
	return ""
}

// CheckHealth is what the pulse vouches for: a write and a read in a
// transaction and a read outside one succeed, and no clock job is stuck
// failing. The error says which part failed.
func (e *Engine) CheckHealth(ctx context.Context) error {
	owner := e.owner
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		want, _ := json.Marshal(map[string]any{"by": owner, "at": tx.Now()})
		if err := tx.PutSetting(ctx, configKeyPulse, string(want)); err != nil {
			return err
		}
		got, ok, err := tx.Setting(ctx, configKeyPulse)
		if err == nil && (!ok || got != string(want)) {
			err = fmt.Errorf("read back %q, wrote %q", got, want)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("database write: %w", err)
	}
	if _, _, err := e.store.GetConfig(ctx, configKeyPulse); err != nil {
		return fmt.Errorf("database read: %w", err)
	}
	if name := e.health.stale(time.Now(), PulseJobName); name != "" {
		return fmt.Errorf("clock job %s has not succeeded lately", name)
	}
	return nil
}

// PulseJobName is the dead man's switch's job.
const PulseJobName = "pulse"

// PulseJob is the dead man's switch: every interval it checks the hub's
// health (CheckHealth) and, only while healthy, sends GET url (a
// Healthchecks.io check, an Uptime Kuma push monitor, any URL), so that a
// monitor outside notices when the hub dies or sickens. Every hub on a
// shared database pings for itself: give each its own URL.
func (e *Engine) PulseJob(pulseURL string, every time.Duration, client *http.Client) Job {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	log := e.logger.With("component", "pulse")
	healthy := true
	return Job{Name: PulseJobName, Every: every, AtStart: true, Run: func(ctx context.Context) error {
		probeCtx, cancel := context.WithTimeout(ctx, min(every, 10*time.Second))
		defer cancel()
		if err := e.CheckHealth(probeCtx); err != nil {
			if healthy {
				log.Error("hub unhealthy: the pulse stops until it recovers", "err", err)
			}
			healthy = false
			return nil // the pulse job itself is fine: it must not count as stale
		}
		if !healthy {
			log.Info("hub healthy again: the pulse resumes")
		}
		healthy = true
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pulseURL, nil)
		if err != nil {
			return fmt.Errorf("pulse_url %s is not a URL", notify.RedactURL(pulseURL))
		}
		req.Header.Set("User-Agent", "homelabcmd/"+homelabcmd.Version)
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error prints the URL, whose path may be the check's secret
			}
			log.Warn("pulse not delivered", "url", notify.RedactURL(pulseURL), "err", err)
			return nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			log.Warn("pulse refused by the monitor", "status", resp.Status)
		}
		return nil
	}}
}
