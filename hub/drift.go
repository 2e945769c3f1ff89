package hub

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// ReportDrift opens or resolves a server's configuration-drift alert after
// a pack check (package agentless calls it for servers with drift
// detection on), notifying like every other alert. ENOTFOUND.
func (e *Engine) ReportDrift(ctx context.Context, serverID string, mismatches int, items string) error {
	return e.store.InTx(ctx, func(tx homelabcmd.Tx) error {
		srv, err := tx.FindServer(ctx, serverID)
		if err != nil {
			return err
		}
		cfg, err := e.alertConfigTx(ctx, tx)
		if err != nil {
			return err
		}
		alerts, err := tx.UnresolvedAlerts(ctx, serverID)
		if err != nil {
			return err
		}
		windows, err := e.windows(ctx, tx)
		if err != nil {
			return err
		}
		quiet, _ := homelabcmd.QuietFor(windows, serverID, tx.Now())
		ref := homelabcmd.ServerRef{ID: srv.ID, Name: srv.Name(), MachineType: srv.MachineType, Paused: srv.IsPaused || quiet}
		tr := alerting.Drift(ref, alerts[homelabcmd.AlertDrift], mismatches, items, tx.Now())
		if tr == nil {
			return nil
		}
		o := newOutbox(cfg)
		if err := o.apply(ctx, tx, ref.Name, *tr); err != nil {
			return err
		}
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventAlertChanged})
		return o.flush(ctx, tx)
	})
}
