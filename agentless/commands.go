package agentless

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// CommandOutputLimit bounds each stream of a command's output.
const CommandOutputLimit = 10000

// unitArg is a systemd unit name; packageArg a Debian package name.
var (
	unitArg    = `([A-Za-z0-9][A-Za-z0-9@._:-]{0,199})`
	packageArg = `([a-z0-9][a-z0-9+.-]{0,99})`
)

// template is one whitelisted command: the operator's text must match
// pattern in full; argv is then rebuilt from the captured, validated
// arguments (the text itself never reaches the remote shell).
type template struct {
	actionType string
	pattern    *regexp.Regexp
	argv       func(args []string) []string
	sudo       bool // prefixed with sudo -n unless the user is root
}

func fixed(argv ...string) func([]string) []string { return func([]string) []string { return argv } }

// Whitelist is the commands POST /servers/{id}/commands/execute runs.
var whitelist = []template{
	{"restart_service", regexp.MustCompile(`^systemctl restart ` + unitArg + `$`), func(a []string) []string { return []string{"systemctl", "restart", a[0]} }, true},
	{"start_service", regexp.MustCompile(`^systemctl start ` + unitArg + `$`), func(a []string) []string { return []string{"systemctl", "start", a[0]} }, true},
	{"stop_service", regexp.MustCompile(`^systemctl stop ` + unitArg + `$`), func(a []string) []string { return []string{"systemctl", "stop", a[0]} }, true},
	{"service_status", regexp.MustCompile(`^systemctl status ` + unitArg + `$`), func(a []string) []string {
		return []string{"systemctl", "status", "--no-pager", "--lines=20", a[0]}
	}, false},
	{"service_logs", regexp.MustCompile(`^journalctl -u ` + unitArg + ` -n ([1-9][0-9]{0,2})$`), func(a []string) []string {
		return []string{"journalctl", "--no-pager", "-u", a[0], "-n", a[1]}
	}, true},
	{"apt_update", regexp.MustCompile(`^apt(?:-get)? update$`), fixed("apt-get", "update", "-q"), true},
	{"apt_upgrade", regexp.MustCompile(`^apt(?:-get)? upgrade -y$`), fixed("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "upgrade", "-y", "-q"), true},
	{"apt_install", regexp.MustCompile(`^apt(?:-get)? install -y ` + packageArg + `$`), func(a []string) []string {
		return []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", a[0]}
	}, true},
	{"uptime", regexp.MustCompile(`^uptime$`), fixed("uptime"), false},
	{"disk_usage", regexp.MustCompile(`^df -h$`), fixed("df", "-hP"), false},
	{"memory", regexp.MustCompile(`^free -m$`), fixed("free", "-m"), false},
	{"reboot", regexp.MustCompile(`^reboot$`), fixed("systemctl", "reboot"), true},
}

// examples shows one command of each template.
var examples = map[string]string{
	"restart_service": "systemctl restart nginx", "start_service": "systemctl start nginx", "stop_service": "systemctl stop nginx",
	"service_status": "systemctl status nginx", "service_logs": "journalctl -u nginx -n 50", "apt_update": "apt-get update",
	"apt_upgrade": "apt-get upgrade -y", "apt_install": "apt-get install -y htop", "uptime": "uptime", "disk_usage": "df -h",
	"memory": "free -m", "reboot": "reboot",
}

// CommandTemplates lists the whitelist for the API and the docs.
func CommandTemplates() []map[string]string {
	out := make([]map[string]string, len(whitelist))
	for i, t := range whitelist {
		out[i] = map[string]string{"action_type": t.actionType, "pattern": t.pattern.String(), "example": examples[t.actionType]}
	}
	return out
}

// match finds the template text fits; action_type, when given, must agree.
func match(command, actionType string) (*template, []string, bool) {
	for i := range whitelist {
		t := &whitelist[i]
		m := t.pattern.FindStringSubmatch(command)
		if m == nil || (actionType != "" && actionType != t.actionType) {
			continue
		}
		if t.actionType == "service_logs" {
			if n, _ := strconv.Atoi(m[2]); n > 500 {
				return nil, nil, false
			}
		}
		return t, m[1:], true
	}
	return nil, nil, false
}

// CommandResult is a finished command.
type CommandResult struct {
	Success         bool   `json:"success"`
	ActionType      string `json:"action_type"`
	ExitCode        int    `json:"exit_code"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	Truncated       bool   `json:"truncated"`
	ExecutionTimeMS int64  `json:"execution_time_ms"`
}

// Command errors the API maps to the contract's statuses (string detail).
var (
	ErrNotWhitelisted = errors.New("Command not whitelisted")
	ErrRateLimited    = errors.New("Rate limit exceeded: at most 10 commands a minute")
	ErrCommandTimeout = errors.New("Command timed out")
)

// Execute runs a whitelisted command on a server over SSH, synchronously,
// with a timeout and bounded output, audited. ErrNotWhitelisted,
// ErrRateLimited, ErrCommandTimeout, ENOTFOUND, and the SSH errors.
func (s *Service) Execute(ctx context.Context, actor, serverID, command, actionType string) (*CommandResult, error) {
	command = strings.TrimSpace(command)
	t, args, ok := match(command, actionType)
	if _, err := s.store.FindServer(ctx, serverID); err != nil {
		return nil, err
	}
	if !ok {
		s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "command", Target: serverID, ServerID: &serverID, Outcome: "refused",
			Detail: "not whitelisted: " + truncate(command, 200)})
		return nil, ErrNotWhitelisted
	}
	if !s.limiter.allow(actor, time.Now()) {
		return nil, ErrRateLimited
	}
	target, err := s.ServerTarget(ctx, serverID)
	if err != nil {
		return nil, err
	}
	conn, err := s.connect(ctx, actor, "command", target, serverID)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	argv := t.argv(args)
	if t.sudo && target.User != "root" {
		argv = append([]string{"sudo", "-n"}, argv...)
	}
	remote := sshx.Command(argv...)
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, s.CommandTimeout)
	defer cancel()
	out, err := conn.Run(cctx, remote, CommandOutputLimit)
	entry := homelabcmd.RemoteAudit{Actor: actor, Action: "command", Target: target.Addr(), ServerID: &serverID, Detail: t.actionType + ": " + remote}
	if errors.Is(err, sshx.ErrTimeout) {
		entry.Outcome = "error"
		entry.Detail += " (timed out)"
		s.audit(ctx, entry)
		return nil, ErrCommandTimeout
	}
	if err != nil {
		entry.Outcome, entry.Detail = "error", entry.Detail+": "+err.Error()
		s.audit(ctx, entry)
		return nil, err
	}
	entry.Detail += " → exit " + strconv.Itoa(out.ExitCode)
	if out.ExitCode != 0 {
		entry.Outcome = "error"
	}
	s.audit(ctx, entry)
	return &CommandResult{Success: out.ExitCode == 0, ActionType: t.actionType, ExitCode: out.ExitCode, Stdout: out.Stdout, Stderr: out.Stderr,
		Truncated: out.Truncated, ExecutionTimeMS: time.Since(start).Milliseconds()}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
