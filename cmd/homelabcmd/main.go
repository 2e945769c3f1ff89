// Command homelabcmd is the homelab monitoring hub and agent in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand; run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env []string, stdout, stderr io.Writer) error
}

// commands is the one table of subcommands.
var commands = map[string]command{
	"serve":   {"run the hub (API, dashboard, built-in agent)", runServe},
	"migrate": {"database migrations: up | up-to N | down | down-to N | status | copy --from URL --to URL", runMigrate},
	"version": {"print the version", runVersion},
	"backup":  {"write a consistent copy of a live SQLite database: --to FILE", runBackup},
	"loadgen": {"simulate a fleet of agents against a hub and report throughput and latency", runLoadgen},
	"agent":   {"watch this machine and report to a hub; 'agent install' sets it up as a service; 'agent config dump'", runAgent},
	"user":    {"accounts from the shell (recovery): add NAME [--role R] | reset-password NAME | list | delete NAME", runUser},
	"config":  {"config dump: print the effective hub configuration, its sources, secrets masked", runConfig},
	"health":  {"exit 0 when the hub on this machine answers healthy (the container HEALTHCHECK): [--url URL]", runHealth},
	"hub":     {"hub install [--print]: write a hardened systemd unit for the hub (state in /var/lib/homelabcmd)", runHub},
	"key":     {"key reset: print a new operator API key and invalidate the old one (hub running or stopped)", runKey},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "homelabcmd: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], env, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "homelabcmd %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: homelabcmd <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'homelabcmd <command> -h' for the flags of a command.")
}
