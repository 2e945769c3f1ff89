// Command homelabcmd-agent is the agent alone: the same code as
// `homelabcmd agent`, without the hub's database drivers, API and dashboard,
// for small machines (about half the memory; see docs/performance.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/homelabcmd/homelabcmd/agent/agentcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := agentcmd.Run(ctx, "homelabcmd-agent", os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "homelabcmd-agent: %v\n", err)
		os.Exit(1)
	}
}
