package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/template"
)

// hubStateDir is where the hub's service keeps its data (StateDirectory=).
const hubStateDir = "/var/lib/homelabcmd"

// hubUnit is the hub's systemd unit: a dynamic user, a state folder that
// systemd creates and owns, an absolute database path, and the usual
// hardening (the hub needs only its state folder, the network and D-Bus).
var hubUnit = template.Must(template.New("unit").Parse(`# homelabcmd hub, written by ` + "`homelabcmd hub install`" + `.
# Settings: HOMELAB_CMD_* lines in {{.EnvFile}} (see the README's Configuration).
[Unit]
Description=homelabcmd hub (homelab monitoring)
Documentation=https://github.com/homelabcmd/homelabcmd
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart={{.Binary}} serve
Environment=HOMELAB_CMD_DATABASE_URL=sqlite:///{{.StateDir}}/homelab.db
EnvironmentFile=-{{.EnvFile}}
WorkingDirectory={{.StateDir}}
StateDirectory=homelabcmd
StateDirectoryMode=0700
DynamicUser=yes
UMask=0077
Restart=on-failure
RestartSec=5s
TimeoutStopSec=20s
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources

[Install]
WantedBy=multi-user.target
`))

// runHub is `homelabcmd hub install [--print]`: write the hub's systemd
// unit (it does not start it).
func runHub(_ context.Context, args, _ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "install" {
		return errors.New("usage: homelabcmd hub install [--print] [--unit FILE] [--binary PATH] [--force]")
	}
	fs := flag.NewFlagSet("hub install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	printOnly := fs.Bool("print", false, "print the unit instead of writing it")
	unitPath := fs.String("unit", "/etc/systemd/system/homelabcmd.service", "where to write the unit")
	binary := fs.String("binary", "", "absolute path of the homelabcmd binary the unit runs (default: this one)")
	envFile := fs.String("env-file", "/etc/homelabcmd/hub.env", "optional file of HOMELAB_CMD_* settings the unit reads")
	force := fs.Bool("force", false, "overwrite an existing unit")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("--binary: %w", err)
		}
		if *binary, err = filepath.EvalSymlinks(exe); err != nil {
			return fmt.Errorf("--binary: %w", err)
		}
	}
	if !filepath.IsAbs(*binary) || !filepath.IsAbs(*envFile) {
		return errors.New("--binary and --env-file must be absolute paths")
	}
	var unit bytes.Buffer
	if err := hubUnit.Execute(&unit, map[string]string{"Binary": *binary, "StateDir": hubStateDir, "EnvFile": *envFile}); err != nil {
		return err
	}
	if *printOnly {
		_, err := stdout.Write(unit.Bytes())
		return err
	}
	if _, err := os.Stat(*unitPath); err == nil && !*force {
		return fmt.Errorf("%s exists; use --force to overwrite it", *unitPath)
	}
	if err := os.MkdirAll(filepath.Dir(*unitPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*unitPath, unit.Bytes(), 0o644); err != nil {
		return err
	}
	name := filepath.Base(*unitPath)
	fmt.Fprintf(stdout, `wrote %s: the hub runs as a dynamic user with its database at %s/homelab.db.
Start it:      systemctl daemon-reload && systemctl enable --now %s
Its API key:   journalctl -u %s | grep 'API key'   (printed once, on the first start)
Settings:      HOMELAB_CMD_* lines in %s, then systemctl restart %s
`, *unitPath, hubStateDir, name, name, *envFile, name)
	return nil
}
