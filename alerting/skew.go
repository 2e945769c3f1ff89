package alerting

import (
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Clock tells a live heartbeat from a replayed one by its own timestamp,
// relative to what the agent's clock said on the last live one, so an
// agent whose clock is minutes off is still live and alerts like any other.
// A report is a replay when it is newer than that last live report (agents
// replay in order) and lags behind the hub by more than the offline timeout
// beyond the usual offset; a report at or before it means the agent's clock
// went back, so it is live and sets the new offset. Without a known offset
// every report is live. next is the clock to store (prev for a replay).
//
// save is false when next need not be stored: the offset moved less than a
// second and the stored report is under a minute old. That spares a write
// per heartbeat; a clock that went back by more than the offline timeout
// still lands at or before a stored report at most a minute old.
func Clock(prev homelabcmd.ServerClock, reportedAt, now time.Time, cfg Config) (replay bool, next homelabcmd.ServerClock, save bool) {
	offset := reportedAt.Sub(now)
	if prev.OffsetMS != nil && prev.ReportAt != nil && reportedAt.After(*prev.ReportAt) &&
		time.Duration(*prev.OffsetMS)*time.Millisecond-offset > cfg.OfflineTimeout() {
		return true, prev, false
	}
	ms := offset.Milliseconds()
	bound := cfg.ClockSkewBound
	next = homelabcmd.ServerClock{OffsetMS: &ms, ReportAt: ptr(reportedAt), Skewed: bound > 0 && (offset > bound || offset < -bound)}
	save = prev.OffsetMS == nil || prev.ReportAt == nil || next.Skewed != prev.Skewed ||
		(time.Duration(*prev.OffsetMS-ms)*time.Millisecond).Abs() >= time.Second || reportedAt.Sub(*prev.ReportAt).Abs() >= clockSaveEvery
	if !save {
		next = prev
	}
	return false, next, save
}

// clockSaveEvery bounds how old the stored report of a steady clock gets.
const clockSaveEvery = time.Minute

// HubTime is when a report was made, in the hub's time: its own timestamp
// corrected by the agent's known clock offset.
func HubTime(c homelabcmd.ServerClock, reportedAt time.Time) time.Time {
	if c.OffsetMS == nil {
		return reportedAt
	}
	return reportedAt.Add(-time.Duration(*c.OffsetMS) * time.Millisecond)
}
