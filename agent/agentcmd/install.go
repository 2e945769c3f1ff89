package agentcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/homelabcmd/homelabcmd/agent"
	"go.yaml.in/yaml/v3"
)

// agentUnit is the hardened systemd unit of the agent. The agent runs as
// root with only CAP_SYS_ADMIN (for RestartUnit): it reads unit states over
// D-Bus (AF_UNIX) and /proc, and writes only its state folder (the outbox).
var agentUnit = template.Must(template.New("unit").Parse(`[Unit]
Description=homelabcmd agent (reports this machine to the hub at {{.Hub}})
Documentation=https://github.com/homelabcmd/homelabcmd#agent
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
ExecStart={{.Exec}} --config {{.Config}}
Restart=always
RestartSec=10
WatchdogSec=3min

# Hardening: a read-only system, one writable state folder for the outbox.
NoNewPrivileges=yes
ProtectSystem=strict
StateDirectory={{.StateName}}
ReadWritePaths={{.StateDir}}
# Upgrades from the hub write the new binary next to the old one and
# rename it over it (see the README's "Upgrading agents").
ReadWritePaths={{.BinDir}}
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
# systemd lets a root client restart units over D-Bus only with CAP_SYS_ADMIN
# (or through polkit, which many servers lack): the agent keeps that one
# capability for RestartUnit and no other.
CapabilityBoundingSet=CAP_SYS_ADMIN
# AF_UNIX reaches systemd over D-Bus; AF_NETLINK lists network interfaces.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

[Install]
WantedBy=multi-user.target
`))

// Where `install` puts the unit and the agent's state by default; the hub's
// install over SSH (package agentless) uses the same paths.
const (
	DefaultUnitPath = "/etc/systemd/system/homelab-agent.service"
	DefaultStateDir = "/var/lib/homelab-agent"
)

// installConfig is the file `agent install` writes, keys in a stable order.
type installConfig struct {
	HubURL            string   `yaml:"hub_url"`
	ServerID          string   `yaml:"server_id"`
	APIKey            string   `yaml:"api_key,omitempty"`
	APIToken          string   `yaml:"api_token,omitempty"`
	ServerGUID        string   `yaml:"server_guid,omitempty"`
	Mode              string   `yaml:"mode,omitempty"`
	HeartbeatInterval int      `yaml:"heartbeat_interval"`
	MonitoredServices []string `yaml:"monitored_services"`
	RestartAllowlist  []string `yaml:"restart_allowlist,omitempty"`
	OutboxDir         string   `yaml:"outbox_dir"`
	TLSCAFile         string   `yaml:"tls_ca_file,omitempty"`
	TLSInsecure       bool     `yaml:"tls_insecure_skip_verify,omitempty"`
}

// SlimName is the agent-only binary (cmd/homelabcmd-agent), which every
// installer puts in place; `homelabcmd agent` is the heavier path.
const SlimName = "homelabcmd-agent"

// executable is os.Executable (tests replace it).
var executable = os.Executable

// isExecutable reports whether path is a regular file someone may run.
func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Install writes the agent's config and systemd unit, then asks systemd
// (over D-Bus, no shell) to reload, enable and start it. With
// --registration-token it first claims the agent's own credential from the
// hub (what the hub's install.sh runs).
func Install(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet(prog+" install", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var c installConfig
	fset.StringVar(&c.HubURL, "hub", "", "hub URL, e.g. http://hub.lan:8080 (required)")
	fset.StringVar(&c.ServerID, "server-id", "", "this machine's id on the hub, ^[a-z0-9-]+$ (default: from the hostname)")
	fset.StringVar(&c.APIKey, "api-key", "", "the hub's operator API key")
	fset.StringVar(&c.APIToken, "api-token", "", "a per-agent token (with --server-guid) instead of the API key")
	fset.StringVar(&c.ServerGUID, "server-guid", "", "this agent's GUID, for --api-token")
	regToken := fset.String("registration-token", "", "a one-time registration token from the dashboard: claims this agent's own token and GUID from the hub")
	services := fset.String("services", "", "comma-separated units to watch (the hub's expected services are added automatically)")
	allow := fset.String("restart-allowlist", "", "comma-separated units the hub may restart besides the watched ones")
	fset.IntVar(&c.HeartbeatInterval, "interval", 60, "seconds between full heartbeats")
	fset.StringVar(&c.TLSCAFile, "ca-file", "", "PEM CA certificate for a hub with a private CA")
	fset.BoolVar(&c.TLSInsecure, "insecure-skip-verify", false, "do not verify the hub's TLS certificate (not recommended)")
	configPath := fset.String("config", agent.DefaultConfigPath, "where to write the config")
	unitPath := fset.String("unit", DefaultUnitPath, "where to write the systemd unit")
	stateDir := fset.String("state-dir", DefaultStateDir, "writable folder for the outbox (under /var/lib)")
	binary := fset.String("binary", "", "absolute path of the agent binary (default: homelabcmd-agent next to this one if it is there, else this one)")
	force := fset.Bool("force", false, "overwrite an existing config")
	noStart := fset.Bool("no-start", false, "write the files only; do not enable or start the service")
	printOnly := fset.Bool("print", false, "print the config and unit instead of writing them")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if c.ServerID == "" {
		host, _ := os.Hostname()
		c.ServerID = Slug(host)
	}
	c.MonitoredServices, c.RestartAllowlist = splitList(*services), splitList(*allow)
	if c.MonitoredServices == nil {
		c.MonitoredServices = []string{}
	}
	c.OutboxDir = filepath.Join(*stateDir, "outbox")
	if *binary == "" {
		exe, err := executable()
		if err != nil {
			return fmt.Errorf("--binary: %w", err)
		}
		*binary, _ = filepath.EvalSymlinks(exe)
		if slim := filepath.Join(filepath.Dir(*binary), SlimName); strings.Contains(prog, " ") && isExecutable(slim) {
			// `homelabcmd agent install` beside a release's slim agent: the
			// unit runs the slim one (about 11 MB RSS against 17 MB).
			*binary = slim
			fmt.Fprintf(stderr, "%s install: the unit runs the slim agent %s\n", prog, slim)
		} else if strings.Contains(prog, " ") {
			fmt.Fprintf(stderr, "%s install: no %s next to %s, so the unit runs `%s`, the heavier path (about 17 MB RSS against 11 MB); the hub's install.sh installs the slim agent\n", prog, SlimName, *binary, prog)
		}
	}
	if !filepath.IsAbs(*binary) || !strings.HasPrefix(*stateDir, "/var/lib/") {
		return errors.New("--binary must be an absolute path and --state-dir a folder under /var/lib/")
	}
	if *regToken != "" {
		// The token can be claimed once: check everything else first.
		switch {
		case *printOnly:
			return errors.New("--print cannot be used with --registration-token: the token can be claimed only once")
		case c.APIKey != "" || c.APIToken != "":
			return errors.New("--registration-token replaces --api-key and --api-token; give only one")
		case c.HubURL == "":
			return errors.New("--hub is required with --registration-token")
		}
		if _, err := os.Stat(*configPath); err == nil && !*force {
			return fmt.Errorf("%s exists; use --force to overwrite it", *configPath)
		}
		if err := claimRegistration(ctx, &c, *regToken); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered with %s as server %s (GUID %s)\n", c.HubURL, c.ServerID, c.ServerGUID)
	}
	cfgYAML, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	// The same parser as the service: a bad flag fails here, not at start.
	if _, err := agent.ParseConfig(cfgYAML, nil, false); err != nil {
		return fmt.Errorf("the config would not load:\n%w", err)
	}
	var unit bytes.Buffer
	execLine := *binary
	if _, sub, ok := strings.Cut(prog, " "); ok && !strings.HasPrefix(filepath.Base(*binary), SlimName) {
		execLine += " " + sub // "homelabcmd agent": the subcommand of the full binary
	}
	agentUnit.Execute(&unit, map[string]string{"Hub": c.HubURL, "Exec": execLine, "Config": *configPath,
		"StateDir": *stateDir, "BinDir": filepath.Dir(*binary), "StateName": strings.TrimPrefix(*stateDir, "/var/lib/")})
	header := "# homelabcmd agent configuration, written by `" + prog + " install`.\n# Keys: see the README's Agent section. Environment variables HOMELAB_CMD_AGENT_<KEY> override them.\n"
	if *printOnly {
		fmt.Fprintf(stdout, "# %s\n%s%s\n# %s\n%s", *configPath, header, cfgYAML, *unitPath, unit.String())
		return nil
	}
	if _, err := os.Stat(*configPath); err == nil && !*force {
		return fmt.Errorf("%s exists; use --force to overwrite it", *configPath)
	}
	if err := os.MkdirAll(filepath.Dir(*configPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*configPath, append([]byte(header), cfgYAML...), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*unitPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*unitPath, unit.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (mode 600) and %s\n", *configPath, *unitPath)
	if *noStart {
		fmt.Fprintf(stdout, "start it with: systemctl daemon-reload && systemctl enable --now %s\n", filepath.Base(*unitPath))
		return nil
	}
	if err := enableAndStart(ctx, *unitPath); err != nil {
		fmt.Fprintf(stdout, "could not start it through systemd (%v)\nstart it with: systemctl daemon-reload && systemctl enable --now %s\n", err, filepath.Base(*unitPath))
		return nil
	}
	fmt.Fprintf(stdout, "%s enabled and started; follow it with: journalctl -u %s -f\n", filepath.Base(*unitPath), filepath.Base(*unitPath))
	return nil
}

// enableAndStart does daemon-reload, enable and restart over D-Bus.
func enableAndStart(ctx context.Context, unitPath string) error {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.ReloadContext(ctx); err != nil {
		return err
	}
	if _, _, err := conn.EnableUnitFilesContext(ctx, []string{unitPath}, false, true); err != nil {
		return err
	}
	done := make(chan string, 1)
	if _, err := conn.RestartUnitContext(ctx, filepath.Base(unitPath), "replace", done); err != nil {
		return err
	}
	if r := <-done; r != "done" {
		return fmt.Errorf("start job: %s", r)
	}
	return nil
}

// splitList splits a comma-separated flag into trimmed, non-empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Slug turns a hostname into a server id: lowercase, [a-z0-9-] only, at
// most 100 characters; "hub" when nothing is left.
func Slug(s string) string {
	s, _, _ = strings.Cut(s, ".") // the short host name
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > 100 {
		out = strings.TrimRight(out[:100], "-")
	}
	if out == "" {
		return "hub"
	}
	return out
}
