package hub

import (
	"context"
	"slices"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
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
	var skew *skewChange
	err := e.store.InBatchTx(ctx, func(tx homelabcmd.Tx) (err error) {
		res, skew, err = e.ingest(txCtx, tx, hb, meta)
		return err
	})
	if err != nil {
		return nil, err
	}
	if skew != nil {
		skew.log(e, res.ServerID)
	}
	return res, nil
}

// skewChange is an agent clock crossing the skew bound, logged once after
// the heartbeat commits.
type skewChange struct{ clock homelabcmd.ServerClock }

func (c *skewChange) log(e *Engine, serverID string) {
	offset := time.Duration(*c.clock.OffsetMS) * time.Millisecond
	if c.clock.Skewed {
		e.logger.Warn("agent clock is off the hub's; alerts use the hub's time", "server", serverID, "offset", offset.Round(time.Second), "bound", e.alerting.ClockSkewBound)
	} else {
		e.logger.Info("agent clock is back within the bound", "server", serverID, "offset", offset.Round(time.Second))
	}
}

// clock tells a live heartbeat from a replay on the hub's time and stores
// the agent's clock offset; it returns a skew change to log, if any.
func (e *Engine) clock(ctx context.Context, tx homelabcmd.Tx, saved *homelabcmd.SavedHeartbeat, hb *homelabcmd.Heartbeat, cfg alerting.Config) (bool, *skewChange, error) {
	replay, next, save := alerting.Clock(saved.Clock, hb.Timestamp.UTC(), tx.Now(), cfg)
	if replay || !save {
		return replay, nil, nil
	}
	var change *skewChange
	if next.Skewed != saved.Clock.Skewed {
		change = &skewChange{clock: next}
	}
	return false, change, tx.SaveServerClock(ctx, saved.Server.ID, next)
}

func (e *Engine) ingest(ctx context.Context, tx homelabcmd.Tx, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.IngestResult, *skewChange, error) {
	saved, err := tx.SaveHeartbeat(ctx, hb, meta)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := e.alertConfigTx(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	replay, skew, err := e.clock(ctx, tx, saved, hb, cfg)
	if err != nil {
		return nil, nil, err
	}
	id := saved.Server.ID
	if meta.TokenGUID != "" {
		if err := tx.TouchAgentToken(ctx, meta.TokenGUID); err != nil {
			return nil, nil, err
		}
	}
	res := &homelabcmd.IngestResult{ServerID: id, ServerRegistered: saved.Registered, Changes: saved.Changes}
	// One read of the expected services serves the response (what the agent
	// must watch) and the alert rules.
	expected, err := tx.ExpectedServices(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	res.ExpectedServices = []string{}
	for _, x := range expected {
		switch {
		case !x.Enabled:
		case x.Kind == homelabcmd.KindContainer:
			res.ExpectedContainers = append(res.ExpectedContainers, x.ServiceName)
		default:
			res.ExpectedServices = append(res.ExpectedServices, x.ServiceName)
		}
	}
	// The original v1 agent's results finish their actions first, so the
	// same heartbeat's running services verify them.
	if res.ResultsAcknowledged, err = e.commandResults(ctx, tx, id, hb.CommandResults); err != nil {
		return nil, nil, err
	}
	var running []string
	for _, r := range hb.Services {
		if r.Status == homelabcmd.StatusRunning {
			running = append(running, r.Name)
		}
	}
	if err := tx.VerifyRestarts(ctx, id, alerting.HubTime(saved.Clock, hb.Timestamp.UTC()), running, e.restart.GracePeriod); err != nil {
		return nil, nil, err
	}
	if len(hb.Containers) > 0 {
		var up, down []string
		for i := range hb.Containers {
			switch u := hb.Containers[i].Unit(); {
			case u.Status == homelabcmd.StatusRunning:
				up = append(up, u.Name)
			case u.Status.IsDown():
				down = append(down, u.Name)
			}
		}
		if err := tx.VerifyContainerActions(ctx, id, alerting.HubTime(saved.Clock, hb.Timestamp.UTC()), up, down, e.restart.GracePeriod); err != nil {
			return nil, nil, err
		}
	}
	if hb.AgentVersion != nil && !replay {
		if err := tx.VerifyUpgrades(ctx, id, *hb.AgentVersion, since(tx, e.restart.PickupTimeout)); err != nil {
			return nil, nil, err
		}
	}
	caps := homelabcmd.EffectiveCapabilities(hb.Capabilities, hb.AgentVersion)
	if res.PendingCommands, err = e.claimCommands(ctx, tx, id, caps); err != nil {
		return nil, nil, err
	}
	watched := slices.Contains(caps, homelabcmd.CapExpectedServices)
	if res.AlertTransitions, err = e.evaluate(ctx, tx, cfg, saved, hb, expected, replay, watched); err != nil {
		return nil, nil, err
	}
	checkTransitions := 0
	if res.Checks, checkTransitions, err = e.checks(ctx, tx, cfg, saved, hb, replay); err != nil {
		return nil, nil, err
	}
	res.AlertTransitions += checkTransitions
	tx.Announce(homelabcmd.Event{Type: homelabcmd.EventServerUpdated, ServerID: id})
	if res.AlertTransitions > 0 {
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventAlertChanged, ServerID: id})
	}
	for _, c := range res.Changes {
		tx.Announce(homelabcmd.Event{Type: homelabcmd.EventServiceChanged, ServerID: id,
			Data: map[string]any{"service_name": c.ServiceName, "kind": c.Kind, "status": c.To, "previous_status": c.From}})
	}
	return res, skew, nil
}
