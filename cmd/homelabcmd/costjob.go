package main

import (
	"context"
	"time"

	"github.com/homelabcmd/homelabcmd/hub"
)

// dailyCostJob snapshots each server's cost of the finished days at the
// day's rate (hub.CaptureDailyCosts). It runs hourly and at start, on one
// hub at a time; a day is stored once, so the first run after midnight
// UTC takes it and the others find it there.
func (h *Hub) dailyCostJob() hub.Job {
	return hub.Job{Name: "daily-costs", Every: time.Hour, AtStart: true, Exclusive: true, Run: func(ctx context.Context) error {
		n, err := hub.CaptureDailyCosts(ctx, h.DB, time.Now())
		if n > 0 {
			h.Logger.Info("daily cost snapshot", "server_days", n)
		}
		return err
	}}
}
