package hub

import (
	"context"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// SetServerPaused turns maintenance mode on or off. Leaving it notifies
// every alert still open whose opening was held back while paused, once.
// ENOTFOUND.
func (e *Engine) SetServerPaused(ctx context.Context, id string, paused bool) (*homelabcmd.Server, error) {
	var out *homelabcmd.Server
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		was, err := tx.FindServer(ctx, id)
		if err != nil {
			return err
		}
		if out, err = tx.SetServerPaused(ctx, id, paused); err != nil {
			return err
		}
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventServerUpdated, ServerID: id})
		if !was.IsPaused || paused {
			return nil
		}
		alerts, err := tx.UnresolvedAlerts(ctx, id)
		if err != nil {
			return err
		}
		ref := homelabcmd.ServerRef{ID: id, Name: out.Name(), MachineType: out.MachineType}
		o := &outbox{}
		for _, tr := range alerting.Unpaused(ref, alerts, tx.Now()) {
			if err := o.apply(ctx, tx, ref.Name, tr); err != nil {
				return err
			}
		}
		return o.flush(ctx, tx)
	})
	return out, err
}

// UpdateExpectedService changes an expected service; disabling it resolves
// its open alert (reason recorded). ENOTFOUND, EINVALID.
func (e *Engine) UpdateExpectedService(ctx context.Context, serverID, name string, upd homelabcmd.ExpectedServiceUpdate) (*homelabcmd.ExpectedService, error) {
	var out *homelabcmd.ExpectedService
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) (err error) {
		if out, err = tx.UpdateExpectedService(ctx, serverID, name, upd); err != nil || out.Enabled {
			return err
		}
		return e.withdraw(ctx, tx, serverID, name, alerting.ReasonServiceDisabled)
	})
	return out, err
}

// DeleteExpectedService stops expecting a service and resolves its open
// alert (reason recorded). ENOTFOUND.
func (e *Engine) DeleteExpectedService(ctx context.Context, serverID, name string) error {
	return e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		if err := tx.DeleteExpectedService(ctx, serverID, name); err != nil {
			return err
		}
		return e.withdraw(ctx, tx, serverID, name, alerting.ReasonServiceDeleted)
	})
}

// withdraw resolves the open alerts (down, unit not found) of a service
// no longer expected.
func (e *Engine) withdraw(ctx context.Context, tx homelabcmd.Tx, serverID, name, reason string) error {
	alerts, err := tx.UnresolvedAlerts(ctx, serverID)
	if err != nil {
		return err
	}
	var srv *homelabcmd.Server
	o := &outbox{}
	for _, kind := range []string{homelabcmd.AlertService, homelabcmd.AlertUnit} {
		a := alerts[kind+":"+name]
		if a == nil {
			continue
		}
		if srv == nil {
			if srv, err = tx.FindServer(ctx, serverID); err != nil {
				return err
			}
		}
		ref := homelabcmd.ServerRef{ID: serverID, Name: srv.Name(), MachineType: srv.MachineType, Paused: srv.IsPaused}
		if err := o.apply(ctx, tx, ref.Name, alerting.Withdrawn(ref, a, reason, tx.Now())); err != nil {
			return err
		}
		announceAlert(tx, a)
	}
	return o.flush(ctx, tx)
}

// quiet says whether a maintenance window is active for the server now,
// and whether it lets critical alerts page.
func (e *Engine) quiet(ctx context.Context, tx homelabcmd.Tx, serverID string) (quiet, pageCritical bool, err error) {
	windows, err := e.windows(ctx, tx)
	if err != nil {
		return false, false, err
	}
	quiet, pageCritical = homelabcmd.QuietFor(windows, serverID, tx.Now())
	return quiet, pageCritical, nil
}

// ReleaseHeld notifies, once, every open alert whose opening was held back
// by a maintenance window that has ended (or was deleted), on servers not
// paused; it returns how many. Run it through RunExclusive.
func (e *Engine) ReleaseHeld(ctx context.Context) (int, error) {
	n := 0
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		n = 0
		cfg, windows, open, err := e.openAlerts(ctx, tx)
		if err != nil {
			return err
		}
		held := map[string]map[string]*homelabcmd.Alert{}
		servers := map[string]homelabcmd.ServerRef{}
		for i := range open {
			r := &open[i]
			if r.Alert.NotifiedAt != nil || r.Server.Paused {
				continue
			}
			if quiet, _ := homelabcmd.QuietFor(windows, r.Server.ID, tx.Now()); quiet {
				continue
			}
			if held[r.Server.ID] == nil {
				held[r.Server.ID], servers[r.Server.ID] = map[string]*homelabcmd.Alert{}, r.Server
			}
			held[r.Server.ID][r.Alert.DedupKey()] = &r.Alert
		}
		o := newOutbox(cfg)
		for id, alerts := range held {
			for _, tr := range alerting.WindowEnded(servers[id], alerts, tx.Now()) {
				if err := o.apply(ctx, tx, servers[id].Name, tr); err != nil {
					return err
				}
				n++
			}
		}
		return o.flush(ctx, tx)
	})
	return n, err
}

// SettleRecoveries resolves, once, the alerts of services whose short
// outage has held its recovery for the recovery hold (no report needed:
// the agent reports changes, not calm); it returns how many. Run it
// through RunExclusive.
func (e *Engine) SettleRecoveries(ctx context.Context) (int, error) {
	n := 0
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		n = 0
		cfg, err := e.alertConfigTx(ctx, tx)
		if err != nil {
			return err
		}
		hold := time.Duration(cfg.Thresholds.Flapping.RecoveryHoldSeconds) * time.Second
		due, err := tx.RecoveriesDue(ctx, tx.Now().Add(-hold))
		if err != nil || len(due) == 0 {
			return err
		}
		windows, err := e.windows(ctx, tx)
		if err != nil {
			return err
		}
		o := newOutbox(cfg)
		for _, r := range due {
			key := r.Alert.DedupKey()
			if ok, err := tx.ClearRecovery(ctx, r.Server.ID, key, r.RecoveredAt); err != nil || !ok {
				if err != nil {
					return err
				}
				continue // a report came in meanwhile and decided
			}
			quiet, _ := homelabcmd.QuietFor(windows, r.Server.ID, tx.Now())
			server := r.Server
			server.Paused = server.Paused || quiet
			tr, ok := alerting.RecoveryHeld(server, &r.Alert, r.RecoveredAt, cfg, tx.Now())
			if !ok {
				continue
			}
			if end, ok := homelabcmd.QuietUntil(windows, r.Server.ID, tx.Now()); quiet && !r.Server.Paused && ok {
				trs := []alerting.Transition{tr}
				alerting.ResolvedAfterWindow(trs, end)
				tr = trs[0]
			}
			if err := o.apply(ctx, tx, r.Server.Name, tr); err != nil {
				return err
			}
			announceAlert(tx, &tr.Alert)
			n++
		}
		return o.flush(ctx, tx)
	})
	return n, err
}
