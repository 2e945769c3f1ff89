package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
	"github.com/homelabcmd/homelabcmd/notify"
)

// evaluate runs the heartbeat rules for a stored heartbeat inside its
// transaction and stores the rule state, alert changes and notifications
// there. The server row is already updated (and so locked on PostgreSQL)
// by this transaction, which serialises evaluations of one server across
// hubs. It returns how many transitions the rules produced.
func (e *Engine) evaluate(ctx context.Context, tx homelabcmd.Tx, cfg alerting.Config, saved *homelabcmd.SavedHeartbeat, hb *homelabcmd.Heartbeat,
	expected []homelabcmd.ExpectedService, replay, watched bool) (_ int, err error) {
	id := saved.Server.ID
	in := alerting.Input{Server: saved.Server, Metrics: hb.Metrics, Services: hb.Services, Replay: replay, Expected: expected, Unwatched: !watched,
		SecurityUpdates: hb.SecurityUpdates}
	if hb.Containers != nil {
		in.Containers = make([]homelabcmd.ServiceReport, len(hb.Containers))
		for i := range hb.Containers {
			in.Containers[i] = hb.Containers[i].Unit()
		}
	}
	quiet, page, err := e.quiet(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	in.Server.Paused = in.Server.Paused || quiet
	if replay {
		in.At = alerting.HubTime(saved.Clock, hb.Timestamp.UTC())
	}
	if in.States, err = tx.RuleStates(ctx, id); err != nil {
		return 0, err
	}
	if in.Alerts, err = tx.UnresolvedAlerts(ctx, id); err != nil {
		return 0, err
	}
	if in.HubRestarts, err = tx.HubRestartsSince(ctx, id, since(tx, cfg.RestartGrace)); err != nil {
		return 0, err
	}
	res := alerting.Evaluate(in, cfg, tx.Now())
	if err := suggestUnits(ctx, tx, id, res.Transitions); err != nil {
		return 0, err
	}
	if quiet && !saved.Server.Paused {
		if page {
			alerting.PageCritical(res.Transitions, tx.Now())
		}
		if err := e.resolvedAfterWindow(ctx, tx, id, res.Transitions); err != nil {
			return 0, err
		}
	}
	for _, st := range res.States {
		if err := tx.SaveRuleState(ctx, id, st); err != nil {
			return 0, err
		}
		if st.RecoveredAt != nil {
			e.settleAfter(time.Until(st.RecoveredAt.Add(time.Duration(cfg.Thresholds.Flapping.RecoveryHoldSeconds) * time.Second)))
		}
	}
	o := newOutbox(cfg)
	for _, tr := range res.Transitions {
		if err := o.apply(ctx, tx, saved.Server.Name, tr); err != nil {
			return 0, err
		}
	}
	if err := o.flush(ctx, tx); err != nil {
		return 0, err
	}
	return len(res.Transitions), nil
}

// outbox applies transitions in one transaction and queues their
// notifications, reading the channels once. Openings on one server queued
// together go out as one grouped notification per channel (flush).
type outbox struct {
	channels []homelabcmd.Channel
	loaded   bool
	queued   int
	// pending are the rendered notifications in order; openings of one
	// server are grouped when flushed.
	pending []*notify.Message
	// window holds openings that follow a notified one on the same server
	// within it, to go out together when it ends (0: never held).
	window time.Duration
	// wait holds the first opening of a quiet server too (group wait).
	wait time.Duration
	// heldResolved are alerts that resolved while their opening was held:
	// the held notification says so instead of a separate "resolved".
	heldResolved []homelabcmd.Alert
	// notBefore holds pending notifications until a maintenance window ends.
	notBefore map[*notify.Message]time.Time
}

// newOutbox returns an outbox with the grouping window of cfg.
func newOutbox(cfg alerting.Config) *outbox {
	return &outbox{window: time.Duration(cfg.Thresholds.GroupSeconds) * time.Second, wait: time.Duration(cfg.Thresholds.GroupWaitSeconds) * time.Second}
}

// apply stores one transition and renders its notification. Every write is
// conditional on the alert's current state, so a race with a manual
// resolve or another hub changes nothing twice and notifies only the
// writer that won.
func (o *outbox) apply(ctx context.Context, tx homelabcmd.Tx, serverName string, tr alerting.Transition) error {
	changed, err := true, error(nil)
	switch {
	case tr.Kind == alerting.Opened && tr.Alert.ID != 0:
		// An opening held back (paused) goes out now: nothing new to store.
		if err = tx.MarkAlertNotified(ctx, tr.Alert.ID, tx.Now()); err == nil {
			err = tx.MarkNotified(ctx, tr.Alert.ServerID, tr.Alert.DedupKey())
		}
	case tr.Kind == alerting.Opened:
		if changed, err = tx.InsertAlert(ctx, &tr.Alert); changed && err == nil && tr.Momentary {
			done := tr.Alert
			_, err = tx.AutoResolveAlert(ctx, &done)
		}
	case tr.Kind == alerting.Escalated:
		changed, err = tx.EscalateAlert(ctx, &tr.Alert)
	case tr.Kind == alerting.Resolved:
		changed, err = tx.AutoResolveAlert(ctx, &tr.Alert)
	case tr.Kind == alerting.Reminder || tr.Kind == alerting.Flapping:
		err = tx.MarkNotified(ctx, tr.Alert.ServerID, tr.Alert.DedupKey())
	}
	if err != nil || !changed || !tr.Notify {
		return err
	}
	if tr.Kind == alerting.Resolved && tr.Alert.NotifiedAt != nil && tr.Alert.NotifiedAt.After(tx.Now()) {
		o.heldResolved = append(o.heldResolved, tr.Alert)
		return nil
	}
	m := notify.ForTransition(tr, serverName, tx.Now())
	o.pending = append(o.pending, m)
	if tr.NotBefore != nil {
		if o.notBefore == nil {
			o.notBefore = map[*notify.Message]time.Time{}
		}
		o.notBefore[m] = *tr.NotBefore
	}
	return nil
}

// flush routes and queues the pending notifications, the openings of each
// server grouped into one, and wakes the dispatchers when the transaction
// commits if it queued anything.
func (o *outbox) flush(ctx context.Context, tx homelabcmd.Tx) error {
	if len(o.pending) > 0 && !o.loaded {
		var err error
		if o.channels, err = tx.Channels(ctx, true); err != nil {
			return err
		}
		o.loaded = true
	}
	done := make([]bool, len(o.pending))
	for i, m := range o.pending {
		if done[i] {
			continue
		}
		group := []*notify.Message{m}
		if m.Event == notify.EventOpened {
			for j := i + 1; j < len(o.pending); j++ {
				if n := o.pending[j]; !done[j] && n.Event == notify.EventOpened && n.ServerID == m.ServerID {
					group, done[j] = append(group, n), true
				}
			}
		}
		if err := o.queue(ctx, tx, group); err != nil {
			return err
		}
	}
	o.pending = nil
	for _, a := range o.heldResolved {
		if err := o.markHeldResolved(ctx, tx, a); err != nil {
			return err
		}
	}
	o.heldResolved = nil
	if o.queued > 0 {
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventNotificationQueued})
	}
	return nil
}

// queue routes and queues one notification, or one group of openings of a
// server. Openings that follow a notified one on the same server within the
// window are held until it ends and merged, per channel, into one.
func (o *outbox) queue(ctx context.Context, tx homelabcmd.Tx, group []*notify.Message) error {
	rows, err := notify.RouteTogether(o.channels, group)
	if err != nil || len(rows) == 0 {
		return err
	}
	due, held, err := o.holdUntil(ctx, tx, group[0])
	if err != nil {
		return err
	}
	if due != nil {
		for _, m := range group {
			if err := tx.MarkAlertNotified(ctx, m.AlertID, *due); err != nil {
				return err
			}
		}
	}
	if t, ok := o.notBefore[group[0]]; ok && due == nil {
		due = &t
	}
	for _, r := range rows {
		if h, ok := held[r.ChannelID]; ok {
			var prev, add notify.Message
			if json.Unmarshal(h.Payload, &prev) == nil && json.Unmarshal(r.Payload, &add) == nil {
				b, err := json.Marshal(notify.Merge(&prev, &add))
				if err != nil {
					return err
				}
				if merged, err := tx.UpdateHeldPayload(ctx, h.ID, b); err != nil || merged {
					continue
				}
			}
		}
		r.Due = due
		if err := tx.Enqueue(ctx, r); err != nil {
			return err
		}
		o.queued++
	}
	return nil
}

// holdUntil says whether an opening waits for the grouping window of its
// server: until the held notifications' time if some wait, else a window
// after the last opening notified within one, else (with a group wait, for
// all but critical openings, which page at once) the wait; nil to send it
// now.
func (o *outbox) holdUntil(ctx context.Context, tx homelabcmd.Tx, m *notify.Message) (*time.Time, map[int64]homelabcmd.HeldNotification, error) {
	if m.Event != notify.EventOpened || o.window <= 0 && o.wait <= 0 || m.ServerID == "" {
		return nil, nil, nil
	}
	list, err := tx.HeldOpenings(ctx, m.ServerID)
	if err != nil {
		return nil, nil, err
	}
	if len(list) > 0 {
		held := map[int64]homelabcmd.HeldNotification{}
		for _, h := range list {
			held[h.ChannelID] = h
		}
		return &list[0].Due, held, nil
	}
	if o.window > 0 {
		last, err := tx.LastOpeningNotified(ctx, m.ServerID, tx.Now().Add(-o.window))
		if err != nil {
			return nil, nil, err
		}
		if last != nil {
			due := last.Add(o.window)
			return &due, nil, nil
		}
	}
	if o.wait > 0 && m.Severity != homelabcmd.SeverityCritical {
		due := tx.Now().Add(o.wait)
		return &due, nil, nil
	}
	return nil, nil, nil
}

// markHeldResolved notes in the held notifications of a's server that a
// resolved before they went out.
func (o *outbox) markHeldResolved(ctx context.Context, tx homelabcmd.Tx, a homelabcmd.Alert) error {
	list, err := tx.HeldOpenings(ctx, a.ServerID)
	if err != nil {
		return err
	}
	for _, h := range list {
		var m notify.Message
		if json.Unmarshal(h.Payload, &m) != nil {
			continue
		}
		if marked, found := notify.MarkResolved(&m, a.ID); found {
			b, err := json.Marshal(marked)
			if err != nil {
				return err
			}
			if _, err := tx.UpdateHeldPayload(ctx, h.ID, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// AcknowledgeAlert moves an open alert to acknowledged, which stops its
// reminders but not its auto-resolve; it is allowed while the service is
// still down. Acknowledging twice returns the first time. ENOTFOUND, and
// EINVALIDSTATE for a resolved alert.
func (e *Engine) AcknowledgeAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error) {
	var out *homelabcmd.Alert
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		a, err := tx.AcknowledgeAlert(ctx, id, by)
		if err != nil {
			return err
		}
		if a.Status == homelabcmd.AlertResolved {
			return homelabcmd.Errorf(homelabcmd.EINVALIDSTATE, "Cannot acknowledge a resolved alert")
		}
		out = a
		announceAlert(tx, a)
		return nil
	})
	return out, err
}

// ResolveAlert resolves an open or acknowledged alert by hand
// (auto_resolved false); resolving twice returns the stored values. If the
// condition persists, the next evaluation opens a new alert. ENOTFOUND.
func (e *Engine) ResolveAlert(ctx context.Context, id int64, by string) (*homelabcmd.Alert, error) {
	var out *homelabcmd.Alert
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) (err error) {
		if out, err = tx.ResolveAlert(ctx, id, by); err == nil {
			announceAlert(tx, out)
		}
		return err
	})
	return out, err
}

func announceAlert(tx homelabcmd.Tx, a *homelabcmd.Alert) {
	tx.Announce(homelabcmd.Event{Type: homelabcmd.EventAlertChanged, ServerID: a.ServerID, Data: map[string]any{"alert_id": a.ID, "status": a.Status}})
}

// CheckOffline marks servers offline whose last heartbeat is older than the
// offline timeout and opens their offline alerts (not for workstations),
// with their notifications, in one transaction. It returns how many servers
// went offline. Run it through RunExclusive so one hub does it at a time;
// the conditional updates keep it safe even without.
func (e *Engine) CheckOffline(ctx context.Context) (int, error) {
	n := 0
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		n = 0
		cfg, err := e.alertConfigTx(ctx, tx)
		if err != nil {
			return err
		}
		cut := since(tx, cfg.OfflineTimeout())
		stale, err := tx.StaleServers(ctx, cut)
		if err != nil {
			return err
		}
		o := newOutbox(cfg)
		windows, err := e.windows(ctx, tx)
		if err != nil {
			return err
		}
		for _, s := range stale {
			alerts, err := tx.UnresolvedAlerts(ctx, s.ID)
			if err != nil {
				return err
			}
			quiet, page := homelabcmd.QuietFor(windows, s.ID, tx.Now())
			seen := alerting.ServerSeen{Server: s.ServerRef, Status: s.Status, LastSeen: s.LastSeen, OfflineAlert: alerts[homelabcmd.AlertOffline]}
			seen.Paused = seen.Paused || quiet
			off, tr := alerting.Offline(seen, cfg, tx.Now())
			if tr != nil && quiet && page && !s.Paused {
				trs := []alerting.Transition{*tr}
				alerting.PageCritical(trs, tx.Now())
				tr = &trs[0]
			}
			if !off {
				continue
			}
			if ok, err := tx.MarkOffline(ctx, s.ID, cut); err != nil {
				return err
			} else if !ok {
				continue // a heartbeat came in meanwhile
			}
			n++
			tx.Announce(homelabcmd.Event{Type: homelabcmd.EventServerUpdated, ServerID: s.ID})
			if tr != nil {
				if err := o.apply(ctx, tx, s.Name, *tr); err != nil {
					return err
				}
			}
		}
		if n > 0 {
			tx.Announce(homelabcmd.Event{Type: homelabcmd.EventAlertChanged})
		}
		return o.flush(ctx, tx)
	})
	return n, err
}

// openAlerts reads what the reminder and release jobs both work from: the
// rule configuration, the maintenance windows and every open alert.
func (e *Engine) openAlerts(ctx context.Context, tx homelabcmd.Tx) (alerting.Config, []homelabcmd.MaintenanceWindow, []homelabcmd.AlertToRemind, error) {
	cfg, err := e.alertConfigTx(ctx, tx)
	if err != nil {
		return cfg, nil, nil, err
	}
	windows, err := tx.MaintenanceWindows(ctx)
	if err != nil {
		return cfg, nil, nil, err
	}
	open, err := tx.OpenAlertsToRemind(ctx)
	return cfg, windows, open, err
}

// SendReminders queues a reminder for every open (not acknowledged) alert
// of an unpaused server whose reminder interval has passed, and records
// when. It returns how many it queued. Run it through RunExclusive.
func (e *Engine) SendReminders(ctx context.Context) (int, error) {
	n := 0
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		n = 0
		cfg, windows, open, err := e.openAlerts(ctx, tx)
		if err != nil {
			return err
		}
		o := newOutbox(cfg)
		for _, r := range open {
			quiet, page := homelabcmd.QuietFor(windows, r.Server.ID, tx.Now())
			hush := quiet && !(page && r.Alert.Severity == homelabcmd.SeverityCritical)
			tr, ok := alerting.Remind(&r.Alert, r.LastNotified, r.Server.Paused || hush || r.Alert.NotifiedAt == nil, cfg, tx.Now())
			if !ok {
				continue
			}
			if err := o.apply(ctx, tx, r.Server.Name, tr); err != nil {
				return err
			}
			n++
		}
		return o.flush(ctx, tx)
	})
	return n, err
}

// settleAfter wakes the settle-recoveries job once d has passed (a little
// after, so the hold has surely ended by the hub's clock).
func (e *Engine) settleAfter(d time.Duration) {
	time.AfterFunc(max(d, 0)+100*time.Millisecond, func() {
		select {
		case e.settle <- struct{}{}:
		default:
		}
	})
}

// resolvedAfterWindow holds, until the server's maintenance windows end,
// the "resolved" of alerts notified before them (alerting.ResolvedAfterWindow).
func (e *Engine) resolvedAfterWindow(ctx context.Context, tx homelabcmd.Tx, serverID string, trs []alerting.Transition) error {
	windows, err := e.windows(ctx, tx)
	if err != nil {
		return err
	}
	if end, ok := homelabcmd.QuietUntil(windows, serverID, tx.Now()); ok {
		alerting.ResolvedAfterWindow(trs, end)
	}
	return nil
}

// suggestUnits adds the agent's similarly named units to the message of
// each unit-not-found alert opening (alerting.SuggestUnits), reading the
// server's unit inventory only when one opens.
func suggestUnits(ctx context.Context, tx homelabcmd.Tx, serverID string, trs []alerting.Transition) error {
	var names []string
	loaded := false
	for i := range trs {
		if tr := &trs[i]; tr.Kind == alerting.Opened && tr.Alert.AlertType == homelabcmd.AlertUnit {
			if !loaded {
				var err error
				if names, err = tx.UnitNames(ctx, serverID); err != nil {
					return err
				}
				loaded = true
			}
			alerting.SuggestUnits(&tr.Alert, names)
		}
	}
	return nil
}
