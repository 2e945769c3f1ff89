package agent

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/backoff"
	"github.com/homelabcmd/homelabcmd/client"
)

// CommandSource is the agent's open line to the hub: a long-poll answering
// approved actions as soon as they exist (client.Client in production).
type CommandSource interface {
	Commands(ctx context.Context, serverID string, wait time.Duration) ([]homelabcmd.PendingCommand, error)
}

// CommandWait is how long one poll stays open at the hub; the client's
// timeout must be longer.
const CommandWait = 25 * time.Second

// pollCommands keeps a long-poll open until ctx ends, handing what arrives
// to a.Commands; after an error it backs off (MinBackoff doubling, jittered,
// up to MaxBackoff). Heartbeat answers still carry commands meanwhile.
func (a *Agent) pollCommands(ctx context.Context) {
	retry := backoff.Backoff{Min: MinBackoff, Max: MaxBackoff}
	for ctx.Err() == nil {
		cmds, err := a.Line.Commands(ctx, a.Config.ServerID, CommandWait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			wait := retry.Next()
			var ce *client.Error
			if errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound {
				wait = retry.Jitter(MaxBackoff) // a hub without the command line
			}
			if retry.Failures() == 1 {
				a.Logger.Warn("command line to the hub dropped; heartbeats still carry commands", "err", err)
			} else {
				a.Logger.Debug("command line still down", "failures", retry.Failures(), "err", err)
			}
			if !backoff.Sleep(ctx, wait) {
				return
			}
			continue
		}
		if retry.Failures() > 0 {
			a.Logger.Info("command line to the hub open again", "failures", retry.Failures())
			retry.Reset()
		}
		if len(cmds) > 0 {
			a.Logger.Debug("commands over the command line", "count", len(cmds))
			a.Commands(ctx, cmds)
		}
	}
}
