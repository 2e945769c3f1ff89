package hub

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// checks hands the agent its checks, stores the check results of its
// heartbeat and evaluates every check whose per-agent status changed:
// its quorum, alert transitions and notifications, in the heartbeat's
// transaction. A new alert is filed under the reporting server; its pause
// or maintenance window hushes notifications. It returns the checks to run
// and how many alert transitions it made.
func (e *Engine) checks(ctx context.Context, tx homelabcmd.Tx, cfg alerting.Config, saved *homelabcmd.SavedHeartbeat,
	hb *homelabcmd.Heartbeat, replay bool) ([]homelabcmd.CheckSpec, int, error) {
	id := saved.Server.ID
	list, err := tx.ChecksForServer(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	specs := make([]homelabcmd.CheckSpec, len(list))
	for i := range list {
		specs[i] = list[i].Spec()
	}
	changed, err := tx.SaveCheckResults(ctx, id, hb.CheckResults)
	if err != nil || len(changed) == 0 {
		return specs, 0, err
	}
	quiet, page, err := e.quiet(ctx, tx, id)
	if err != nil {
		return nil, 0, err
	}
	server := saved.Server
	server.Paused = server.Paused || quiet
	o := newOutbox(cfg)
	n := 0
	for _, cs := range changed {
		st, err := tx.CheckRuleState(ctx, cs.Check.ID)
		if err != nil {
			return nil, 0, err
		}
		a, err := tx.UnresolvedCheckAlert(ctx, cs.Check.Name)
		if err != nil {
			return nil, 0, err
		}
		trs, next := alerting.EvaluateCheck(alerting.CheckInput{Server: server, Check: cs.Check, Agents: cs.Agents, Alert: a,
			State: st, Replay: replay}, cfg, tx.Now())
		if quiet && page && !saved.Server.Paused {
			alerting.PageCritical(trs, tx.Now())
		}
		if !next.Equal(st) {
			if err := tx.SaveCheckRuleState(ctx, cs.Check.ID, next); err != nil {
				return nil, 0, err
			}
		}
		for _, tr := range trs {
			name := server.Name
			if tr.Alert.ServerID != id {
				// Resolving an alert filed under another server: its
				// name goes into the notification.
				srv, err := tx.FindServer(ctx, tr.Alert.ServerID)
				if err != nil {
					return nil, 0, err
				}
				name = srv.Name()
			}
			if err := o.apply(ctx, tx, name, tr); err != nil {
				return nil, 0, err
			}
		}
		n += len(trs) // Ingest announces alert.changed for them

		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventCheckChanged, ServerID: id, Data: map[string]any{"check_id": cs.Check.ID}})
	}
	return specs, n, o.flush(ctx, tx)
}

// CreateCheck validates and stores a new check; agents pick it up with
// their next heartbeat. EINVALID, ECONFLICT (name), ENOTFOUND (server).
func (e *Engine) CreateCheck(ctx context.Context, c *homelabcmd.Check) error {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return err
	}
	return e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		if err := tx.InsertCheck(ctx, c); err != nil {
			return err
		}
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventCheckChanged, Data: map[string]any{"check_id": c.ID}})
		return nil
	})
}

// UpdateCheck changes a check by apply (the API merges the fields given
// onto the stored check). Disabling or renaming a check resolves its open
// alert (reason recorded). EINVALID, ECONFLICT, ENOTFOUND, and apply's
// errors.
func (e *Engine) UpdateCheck(ctx context.Context, id int64, apply func(*homelabcmd.Check) error) (*homelabcmd.Check, error) {
	var out *homelabcmd.Check
	err := e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		old, err := tx.FindCheck(ctx, id)
		if err != nil {
			return err
		}
		c := *old
		c.ServerIDs, c.Tags = append([]string(nil), old.ServerIDs...), append([]string(nil), old.Tags...)
		if err := apply(&c); err != nil {
			return err
		}
		if c.Type != old.Type {
			return homelabcmd.FieldError("type", "a check's type cannot change; create a new check")
		}
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		c.Normalize()
		if err := c.Validate(); err != nil {
			return err
		}
		if err := tx.UpdateCheck(ctx, &c); err != nil {
			return err
		}
		out = &c
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventCheckChanged, Data: map[string]any{"check_id": id}})
		switch {
		case old.Enabled && !c.Enabled:
			return e.withdrawCheck(ctx, tx, old.Name, alerting.ReasonCheckDisabled)
		case old.Name != c.Name:
			return e.withdrawCheck(ctx, tx, old.Name, alerting.ReasonCheckRenamed)
		}
		return nil
	})
	return out, err
}

// DeleteCheck removes a check with its results and resolves its open
// alert (reason recorded). ENOTFOUND.
func (e *Engine) DeleteCheck(ctx context.Context, id int64) error {
	return e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		c, err := tx.FindCheck(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteCheck(ctx, id); err != nil {
			return err
		}
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventCheckChanged, Data: map[string]any{"check_id": id}})
		return e.withdrawCheck(ctx, tx, c.Name, alerting.ReasonCheckDeleted)
	})
}

// withdrawCheck resolves the open alert of a check that went away.
func (e *Engine) withdrawCheck(ctx context.Context, tx homelabcmd.Tx, name, reason string) error {
	a, err := tx.UnresolvedCheckAlert(ctx, name)
	if err != nil || a == nil {
		return err
	}
	srv, err := tx.FindServer(ctx, a.ServerID)
	if err != nil {
		return err
	}
	ref := homelabcmd.ServerRef{ID: srv.ID, Name: srv.Name(), MachineType: srv.MachineType, Paused: srv.IsPaused}
	o := &outbox{}
	if err := o.apply(ctx, tx, ref.Name, alerting.Withdrawn(ref, a, reason, tx.Now())); err != nil {
		return err
	}
	announceAlert(tx, a)
	return o.flush(ctx, tx)
}
