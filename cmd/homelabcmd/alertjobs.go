package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/config"
	"github.com/homelabcmd/homelabcmd/live"
	"github.com/homelabcmd/homelabcmd/notify/dispatch"
)

// offlineCheckInterval paces offline detection; with the 180 s default
// timeout a server is flagged within 195 s of its last heartbeat.
const offlineCheckInterval = 15 * time.Second

// reminderInterval is how often due reminders are queued.
const reminderInterval = time.Minute

// alertingConfig is the alert rule defaults from the hub configuration;
// thresholds stored through the API override them.
func alertingConfig(c *config.Hub) alerting.Config {
	cfg := alerting.DefaultConfig()
	cfg.Thresholds.ServerOfflineSeconds = int(c.OfflineTimeout / time.Second)
	cfg.RestartGrace = c.RestartGracePeriod
	return cfg
}

// startAlertJobs runs the notification dispatcher (on every hub; claims
// keep each notification with one of them) and the offline and reminder
// checks (one hub at a time on a shared PostgreSQL).
func (h *Hub) startAlertJobs(ctx context.Context, wg *sync.WaitGroup) {
	host, _ := os.Hostname()
	wake := make(chan struct{}, 1)
	d := &dispatch.Dispatcher{Store: h.DB, Owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), homelabcmd.NewGUID()[:8]),
		Logger: h.Logger.With("component", "notify"), Wake: wake}
	wg.Add(4)
	go func() {
		// An alert transition (on this hub, or relayed from another) means
		// notifications were queued: wake the dispatcher now.
		defer wg.Done()
		for e := range h.Events.Subscribe(ctx) {
			if e.Type == live.AlertChanged {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	go func() {
		defer wg.Done()
		d.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		every(ctx, offlineCheckInterval, func() {
			var n int
			_, err := h.DB.RunExclusive(ctx, "offline-check", func(ctx context.Context) (err error) {
				n, err = h.DB.CheckOffline(ctx)
				return err
			})
			if err != nil && ctx.Err() == nil {
				h.Logger.Error("offline check", "err", err)
			} else if n > 0 {
				h.Logger.Warn("servers went offline", "count", n)
				h.Events.Publish(live.Event{Type: live.AlertChanged})
			}
		})
	}()
	go func() {
		defer wg.Done()
		every(ctx, reminderInterval, func() {
			_, err := h.DB.RunExclusive(ctx, "alert-reminders", func(ctx context.Context) error {
				_, err := h.DB.SendReminders(ctx)
				return err
			})
			if err != nil && ctx.Err() == nil {
				h.Logger.Error("alert reminders", "err", err)
			}
		})
	}()
}
