// Package agentcmd is the agent's command line, shared by `homelabcmd agent`
// and the slim `homelabcmd-agent` binary: flags, config loading, one-shot
// and dry runs, `install`, and the wiring of the agent's parts.
package agentcmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agent"
	"github.com/homelabcmd/homelabcmd/agent/checks"
	"github.com/homelabcmd/homelabcmd/agent/collect"
	"github.com/homelabcmd/homelabcmd/agent/docker"
	"github.com/homelabcmd/homelabcmd/agent/sysinfo"
	"github.com/homelabcmd/homelabcmd/agent/systemd"
	"github.com/homelabcmd/homelabcmd/agent/updates"
	"github.com/homelabcmd/homelabcmd/agent/updates/packagekit"
	"github.com/homelabcmd/homelabcmd/agent/upgrade"
	"github.com/homelabcmd/homelabcmd/client"
)

// heavierPath is what `homelabcmd agent --help` says of itself.
const heavierPath = "This is the agent inside the hub's binary, the heavier path (about 17 MB RSS: the\n" +
	"binary also holds the database drivers, the API and the dashboard). The slim\n" +
	"homelabcmd-agent (about 11 MB) runs the same code; install.sh, \"Add server\",\n" +
	"the image and agent upgrades use it, and \"install\" here prefers one beside\n" +
	"this binary.\n\n"

// Run is the agent command: watch this machine and report to a hub; with
// "install" first, set that up as a systemd service; with "config dump",
// print the effective configuration. prog is how the
// command is invoked ("homelabcmd agent" or "homelabcmd-agent"); it is also
// what the installed unit runs.
func Run(ctx context.Context, prog string, args, env []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		_, err := fmt.Fprintf(stdout, "%s %s (%s, %s/%s)\n", prog, homelabcmd.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return err
	}
	if len(args) > 0 && args[0] == "install" {
		return Install(ctx, prog, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "config" {
		if len(args) < 2 || args[1] != "dump" {
			return fmt.Errorf("usage: %s config dump [--config FILE] [--json]", prog)
		}
		return Dump(prog, args[2:], env, stdout, stderr)
	}
	fset := flag.NewFlagSet(prog, flag.ContinueOnError)
	fset.SetOutput(stderr)
	configPath := fset.String("config", envValue(env, agent.EnvPrefix+"CONFIG", agent.DefaultConfigPath), "YAML config file (also "+agent.EnvPrefix+"CONFIG)")
	once := fset.Bool("once", false, "collect and send one heartbeat, then exit")
	dryRun := fset.Bool("dry-run", false, "print heartbeats as JSON on stdout instead of sending them (logs go to stderr)")
	verbose := fset.Bool("v", false, "debug logging")
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "Usage: %s [--config FILE] [--once] [--dry-run] [-v]\n       %s install --hub URL --server-id ID [--registration-token T | --api-key KEY | --api-token T --server-guid G] …\n       %s config dump [--config FILE] [--json]\n\n"+
			"Every config key can be overridden with %s<KEY> (e.g. %sHUB_URL).\n\n", prog, prog, prog, agent.EnvPrefix, agent.EnvPrefix)
		if strings.Contains(prog, " ") {
			fmt.Fprint(fset.Output(), heavierPath)
		}
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fset.Arg(0))
	}
	data, err := os.ReadFile(*configPath)
	// Without a config file the environment alone may configure the agent
	// (a container: HOMELAB_CMD_AGENT_HUB_URL and the rest).
	envOnly := envValue(env, agent.EnvPrefix+"HUB_URL", "") != ""
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && (*dryRun || envOnly)) {
		return fmt.Errorf("config file: %w", err)
	}
	cfg, err := agent.ParseConfig(data, env, *dryRun)
	if err != nil {
		return fmt.Errorf("%s:\n%w", *configPath, err)
	}
	if *verbose {
		cfg.LogLevel = "debug"
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// An upgrade this binary started under must be confirmed by a
	// heartbeat within its window, or the previous binary comes back.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	exe, exeErr := upgrade.Executable()
	var guard *upgrade.Guard
	if exeErr == nil && !*dryRun && !*once {
		guard, err = upgrade.Check(exe, homelabcmd.Version, time.Now())
		if errors.Is(err, upgrade.ErrRolledBack) {
			logger.Error("upgrade rolled back; exiting so that systemd starts the previous binary", "err", err)
			return err
		}
		if err != nil {
			logger.Error("cannot read the upgrade marker next to the binary", "exe", exe, "err", err)
		}
	}
	a, exec, closeAgent, err := build(cfg, logger, !*dryRun)
	if err != nil {
		return err
	}
	defer closeAgent()
	if guard != nil {
		logger.Warn("started after an upgrade: the first heartbeat the hub takes confirms it, else the previous binary comes back",
			"from", guard.Marker.PreviousVersion, "deadline", guard.Marker.Deadline().Format(time.RFC3339))
		guard.Start(time.Now(), stop)
		a.Delivered = func() {
			if ok, err := guard.Confirm(); err != nil {
				logger.Error("confirming the upgrade", "err", err)
			} else if ok {
				logger.Info("upgrade confirmed: the hub took a heartbeat from this version", "version", homelabcmd.Version, "from", guard.Marker.PreviousVersion)
			}
		}
	}
	if exec != nil && exeErr == nil && !*dryRun && !*once {
		src, err := downloadSource(cfg)
		if err != nil {
			return err
		}
		u := &upgrade.Upgrader{Hub: src, Exe: exe, Arch: upgrade.Arch(), Slim: !strings.Contains(prog, " "), Window: upgrade.WindowFromEnv(env)}
		exec.Upgrade = func(ctx context.Context, target string) (string, error) {
			return u.Upgrade(ctx, homelabcmd.Version, target)
		}
		exec.AfterUpgrade = func() { stop(errUpgraded) }
	}
	if exec != nil {
		a.Capabilities = append(a.Capabilities, homelabcmd.CapRestartService)
		if exec.Upgrade != nil {
			a.Capabilities = append(a.Capabilities, homelabcmd.CapUpgrade)
		}
	}
	if *dryRun {
		a.Sender, a.Commands, a.Line = nil, nil, nil
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		a.Emit = func(hb *homelabcmd.Heartbeat) { enc.Encode(hb) }
	}
	if *once {
		return agentOnce(ctx, a)
	}
	logger.Info("agent started", "hub", cfg.HubURL, "server_id", cfg.ServerID, "interval", cfg.HeartbeatInterval,
		"monitored_services", strings.Join(cfg.MonitoredServices, ","), "version", homelabcmd.Version)
	if _, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		logger.Debug("sd_notify", "err", err)
	}
	a.ReleaseMemory = true
	if wd, err := daemon.SdWatchdogEnabled(false); err == nil && wd > 0 {
		a.Watchdog = wd
		a.Ping = func() { daemon.SdNotify(false, daemon.SdNotifyWatchdog) }
	}
	err = a.Run(ctx)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		// A non-zero exit: systemd (Restart=always) starts whatever binary
		// is now in place.
		return cause
	}
	return err
}

// errUpgraded ends the agent after its binary was replaced.
var errUpgraded = errors.New("the agent binary was upgraded; exiting so that systemd starts the new one")

// hubSource fetches downloads from the hub with the agent's credentials
// and a timeout long enough for a binary over a slow link.
type hubSource struct {
	c  *client.Client
	hc *http.Client
}

func (h hubSource) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	return h.c.Open(ctx, h.hc, path)
}

func downloadSource(cfg *agent.Config) (hubSource, error) {
	httpClient, err := cfg.HTTPClient()
	if err != nil {
		return hubSource{}, err
	}
	c := client.New(cfg.HubURL)
	c.HTTP = httpClient
	c.APIKey, c.AgentToken, c.ServerGUID = cfg.APIKey, cfg.AgentToken, cfg.ServerGUID
	return hubSource{c: c, hc: &http.Client{Transport: httpClient.Transport, Timeout: 15 * time.Minute}}, nil
}

// agentOnce collects one full heartbeat and prints or sends it. A send that
// fails for a retryable reason leaves the heartbeat in the outbox.
func agentOnce(ctx context.Context, a *agent.Agent) error {
	// cpu_percent (host and units) is a difference of two readings: take
	// the first ones now.
	a.Collect(ctx, false)
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	hb := a.Collect(ctx, true)
	if a.Emit != nil {
		a.Emit(hb)
	}
	if a.Sender == nil {
		return nil
	}
	resp, err := a.Sender.HeartbeatJSON(ctx, agent.Marshal(hb))
	if err != nil {
		if client.IsRetryable(err) && a.Outbox != nil {
			if e := a.Outbox.Append(hb.Timestamp.Time, agent.Marshal(hb)); e == nil {
				return fmt.Errorf("%w (kept in the outbox for the service to replay)", err)
			}
		}
		return err
	}
	a.Logger.Info("heartbeat sent", "server_registered", resp.ServerRegistered, "expected_services", strings.Join(resp.ExpectedServices, ","))
	// The hub handed these out once: carry them out (Build's release waits).
	if len(resp.PendingCommands) > 0 && a.Commands != nil {
		a.Commands(ctx, resp.PendingCommands)
	}
	return nil
}

// Build wires an agent from its config: the collectors (gopsutil, systemd
// over D-Bus), the hub client and (withOutbox) the on-disk outbox. The
// returned func releases the D-Bus connection. Errors name the config key
// at fault.
func Build(cfg *agent.Config, logger *slog.Logger, withOutbox bool) (*agent.Agent, func(), error) {
	a, _, release, err := build(cfg, logger, withOutbox)
	return a, release, err
}

// build is Build that also returns the executor (nil without a hub).
func build(cfg *agent.Config, logger *slog.Logger, withOutbox bool) (*agent.Agent, *agent.Executor, func(), error) {
	units := systemd.NewClient(cfg.SystemdBusAddress, logger.With("part", "systemd"))
	a := &agent.Agent{Config: cfg, Logger: logger}
	// What a heartbeat carries: one line per collector.
	probes := checks.New(logger.With("part", "checks"))
	probes.Prober.From = cfg.ServerID
	a.Collectors = []collect.Collector{
		sysinfo.New(),
		systemd.NewCollector(units, a.WatchList, logger.With("part", "systemd")),
		systemd.NewInventoryCollector(units, func() []string { return cfg.MonitoredServices }, logger.With("part", "inventory")),
		probes,
	}
	var engine *docker.Client
	if cfg.DockerHost != "off" {
		var err error
		if engine, err = docker.NewClient(cfg.DockerHost); err != nil {
			units.Close()
			return nil, nil, nil, fmt.Errorf("docker_host: %w", err)
		}
		a.Collectors = append(a.Collectors, docker.NewCollector(engine, logger.With("part", "containers")))
	}
	a.Checks = probes.SetChecks
	var pkgs updates.Source
	var pkgCheck *updates.Collector
	if cfg.PackageUpdates {
		if pkgs = updates.Detect(); pkgs != nil {
			if apt, ok := pkgs.(*updates.Apt); ok && cfg.AptConfig != "" {
				apt.Env = append(apt.Env, "APT_CONFIG="+cfg.AptConfig)
			}
			pkgCheck = &updates.Collector{Source: listSource(cfg, pkgs, logger), Delay: cfg.PackageCheckDelay, Logger: logger.With("part", "updates")}
			a.Collectors = append(a.Collectors, pkgCheck)
		}
	}
	release := units.Close
	var exec *agent.Executor
	if cfg.HubURL != "" {
		httpClient, err := cfg.HTTPClient()
		if err != nil {
			units.Close()
			return nil, nil, nil, err
		}
		if cfg.TLSInsecureSkipVerify {
			logger.Warn("TLS certificate verification is OFF (tls_insecure_skip_verify); anyone on the path can read the credential")
		}
		c := client.New(cfg.HubURL)
		c.HTTP = httpClient
		c.APIKey, c.AgentToken, c.ServerGUID = cfg.APIKey, cfg.AgentToken, cfg.ServerGUID
		a.Sender = c
		// The command line's long-poll outlives the 10 s request timeout.
		line := *c
		line.HTTP = &http.Client{Transport: httpClient.Transport, Timeout: agent.CommandWait + 20*time.Second}
		exec = &agent.Executor{Config: cfg, Units: units, Hub: c, Logger: logger.With("part", "executor"), AfterRestart: a.Beat,
			ExpectedContainers: a.ExpectedContainers}
		if engine != nil {
			exec.Containers = engine
			a.Capabilities = append(a.Capabilities, homelabcmd.CapContainers)
		}
		a.Commands, a.Line = exec.Handle, &line
		// Installing updates is for a readwrite agent only.
		if ap, ok := pkgs.(updates.Applier); ok && cfg.Mode == "readwrite" {
			exec.ApplyUpdates = func(ctx context.Context) (string, *bool, error) {
				defer pkgCheck.Recheck() // the next full heartbeat reports what is left
				return ap.Apply(ctx)
			}
			a.Capabilities = append(a.Capabilities, homelabcmd.CapUpdates)
		}
		// So is running the whitelisted commands of the hub's execute route.
		if cfg.Mode == "readwrite" {
			exec.RunCommands = true
			a.Capabilities = append(a.Capabilities, homelabcmd.CapCommands)
		}
		closeUnits := units.Close
		release = func() { exec.Wait(); closeUnits() }
	}
	if withOutbox {
		ob, err := agent.OpenOutbox(cfg.OutboxDir, cfg.OutboxMaxBytes, cfg.OutboxMaxAge, logger.With("part", "outbox"))
		if err != nil {
			units.Close()
			return nil, nil, nil, fmt.Errorf("outbox_dir: %w", err)
		}
		a.Outbox = ob
	}
	// Connect now so that a missing bus is logged at start, once.
	_ = units.Connect()
	return a, exec, release, nil
}

func envValue(env []string, name, def string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return def
}

// listSource is where the agent lists updates: PackageKit over D-Bus when
// it runs or can be started on the system bus (it keeps the package
// database loaded: a check costs milliseconds, not apt's seconds), else
// the package manager itself. Updates are always applied with the package
// manager.
func listSource(cfg *agent.Config, pm updates.Source, logger *slog.Logger) updates.Source {
	if !cfg.PackageKit || cfg.AptConfig != "" {
		return pm
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !packagekit.Available(ctx, "") {
		return pm
	}
	logger.Info("listing package updates through PackageKit", "applied_with", pm.Name())
	return &packagekit.Source{StampFiles: pm.Stamps()}
}
