package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd/loadgen"
)

// runLoadgen: homelabcmd loadgen --hub URL[,URL…] --api-key K --servers N --services M --interval D --duration T
// [--command-line] [--dashboards N] [--hub-pid PID[,PID…]] [--alerting N]
func runLoadgen(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c loadgen.Config
	var hubs, pids string
	fs.StringVar(&hubs, "hub", "http://127.0.0.1:8080", "hub URL, or several comma-separated (hubs sharing one PostgreSQL) to spread the fleet over; loopback only")
	fs.BoolVar(&c.CommandLine, "command-line", false, "each agent also holds the command long-poll open, as the real agent does")
	fs.IntVar(&c.Dashboards, "dashboards", 0, "dashboards holding the live event stream (/api/v1/events) open")
	fs.StringVar(&pids, "hub-pid", "", "pid(s) of the hub process(es), comma-separated: CPU and RSS sampled from /proc during the run")
	fs.IntVar(&c.Alerting, "alerting", 0, "agents whose services are expected and flip often, with a webhook on loopback counting notifications (duplicate check; the hub needs notify_allow_private=true)")
	fs.StringVar(&c.APIKey, "api-key", envOr(env, "HOMELAB_CMD_API_KEY", ""), "operator API key (also HOMELAB_CMD_API_KEY)")
	fs.IntVar(&c.Servers, "servers", 100, "simulated agents, each with its own server id")
	fs.IntVar(&c.Services, "services", 20, "services per agent")
	fs.DurationVar(&c.Interval, "interval", time.Second, "heartbeat interval of each agent")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "how long to run (the run always stops by itself)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.HubURLs = strings.Split(hubs, ",")
	for p := range strings.SplitSeq(pids, ",") {
		if p == "" {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || pid <= 0 {
			return fmt.Errorf("--hub-pid: %q is not a pid", p)
		}
		c.HubPIDs = append(c.HubPIDs, pid)
	}
	c.Progress = stderr
	fmt.Fprintf(stderr, "loadgen: %d agents × %d services every %s for %s → target %.0f heartbeats/s, %d hub(s), %d dashboards, command line %v\n",
		c.Servers, c.Services, c.Interval, c.Duration, float64(c.Servers)/c.Interval.Seconds(), len(c.HubURLs), c.Dashboards, c.CommandLine)
	rep, err := loadgen.Run(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)
	fmt.Fprintln(stdout, "summary:", rep.Summary())
	return nil
}
