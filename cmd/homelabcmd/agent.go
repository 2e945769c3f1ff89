package main

import (
	"context"
	"io"

	"github.com/homelabcmd/homelabcmd/agent/agentcmd"
)

// runAgent is `homelabcmd agent`; the slim cmd/homelabcmd-agent binary runs
// the same code.
func runAgent(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	return agentcmd.Run(ctx, "homelabcmd agent", args, env, stdout, stderr)
}
