package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/homelabcmd/homelabcmd/loadgen"
)

// runLoadgen: homelabcmd loadgen --hub URL --api-key K --servers N --services M --interval D --duration T
func runLoadgen(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c loadgen.Config
	fs.StringVar(&c.HubURL, "hub", "http://127.0.0.1:8080", "hub URL (load tests target this machine only)")
	fs.StringVar(&c.APIKey, "api-key", envOr(env, "HOMELAB_CMD_API_KEY", ""), "operator API key (also HOMELAB_CMD_API_KEY)")
	fs.IntVar(&c.Servers, "servers", 100, "simulated agents, each with its own server id")
	fs.IntVar(&c.Services, "services", 20, "services per agent")
	fs.DurationVar(&c.Interval, "interval", time.Second, "heartbeat interval of each agent")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "how long to run (the run always stops by itself)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Progress = stderr
	fmt.Fprintf(stderr, "loadgen: %d agents × %d services every %s for %s → target %.0f heartbeats/s\n",
		c.Servers, c.Services, c.Interval, c.Duration, float64(c.Servers)/c.Interval.Seconds())
	rep, err := loadgen.Run(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)
	return nil
}
