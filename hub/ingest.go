package hub

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
)

// Ingest stores one heartbeat and everything it causes, in one
// group-committed transaction: the server, metrics and service history,
// restart verification, the commands handed to the agent, the alert rules'
// transitions and their notifications. Errors: EINVALID, ECONFLICT (GUID
// mismatch), EFORBIDDEN (token for another server, or an inactive server).
func (e *Engine) Ingest(ctx context.Context, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error) {
	if err := hb.Validate(); err != nil {
		return nil, err
	}
	// One caller's cancel must not abort the other heartbeats of its batch.
	txCtx := context.WithoutCancel(ctx)
	var res *homelabcmd.IngestResult
	err := e.store.InBatchTx(ctx, func(tx homelabcmd.Tx) (err error) {
		res, err = e.ingest(txCtx, tx, hb, meta)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (e *Engine) ingest(ctx context.Context, tx homelabcmd.Tx, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, error) {
	saved, err := tx.SaveHeartbeat(ctx, hb, meta)
	if err != nil {
		return nil, err
	}
	id := saved.Server.ID
	if meta.TokenGUID != "" {
		if err := tx.TouchAgentToken(ctx, meta.TokenGUID); err != nil {
			return nil, err
		}
	}
	res := &homelabcmd.IngestResult{ServerID: id, ServerRegistered: saved.Registered, Changes: saved.Changes}
	// One read of the expected services serves the response (what the agent
	// must watch) and the alert rules.
	expected, err := tx.ExpectedServices(ctx, id)
	if err != nil {
		return nil, err
	}
	res.ExpectedServices = []string{}
	for _, x := range expected {
		if x.Enabled {
			res.ExpectedServices = append(res.ExpectedServices, x.ServiceName)
		}
	}
	var running []string
	for _, r := range hb.Services {
		if r.Status == homelabcmd.StatusRunning {
			running = append(running, r.Name)
		}
	}
	if err := tx.VerifyRestarts(ctx, id, saved.ReportedAt, running, e.restart.GracePeriod); err != nil {
		return nil, err
	}
	if res.PendingCommands, err = e.claimCommands(ctx, tx, id); err != nil {
		return nil, err
	}
	if res.AlertTransitions, err = e.evaluate(ctx, tx, saved, hb, expected); err != nil {
		return nil, err
	}
	tx.Announce(homelabcmd.Event{Type: homelabcmd.EventServerUpdated, ServerID: id})
	if res.AlertTransitions > 0 {
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventAlertChanged, ServerID: id})
	}
	for _, c := range res.Changes {
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventServiceChanged, ServerID: id,
			Data: map[string]any{"service_name": c.ServiceName, "status": c.To, "previous_status": c.From}})
	}
	return res, nil
}
