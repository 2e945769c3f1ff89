package homelabcmd

import (
	"regexp"
	"strconv"
)

// The whitelisted commands of POST /servers/{id}/commands/execute, one
// table for the hub (over SSH) and the agent (ActionRunCommand): the
// operator's text must match a template's pattern in full; argv is then
// rebuilt from the captured, validated arguments, so the text itself is
// never run and no shell is involved.

// CommandOutputLimit bounds each stream of a command's output.
const CommandOutputLimit = 10000

// unitArg is a systemd unit name; packageArg a Debian package name.
const (
	unitArg    = `([A-Za-z0-9][A-Za-z0-9@._:-]{0,199})`
	packageArg = `([a-z0-9][a-z0-9+.-]{0,99})`
)

// UnitArgPattern is the whitelist's pattern of a unit name (a capture
// group), for other validations of unit names given to remote commands.
const UnitArgPattern = unitArg

// CommandTemplate is one whitelisted command.
type CommandTemplate struct {
	ActionType string
	Pattern    *regexp.Regexp
	// Argv builds the program and arguments from the pattern's captures.
	Argv func(args []string) []string
	// Sudo: run as root (through sudo -n when the user is not root).
	Sudo    bool
	Example string
}

func fixedArgv(argv ...string) func([]string) []string {
	return func([]string) []string { return argv }
}

// CommandTemplates is the whitelist.
var CommandTemplates = []CommandTemplate{
	{"restart_service", regexp.MustCompile(`^systemctl restart ` + unitArg + `$`), func(a []string) []string { return []string{"systemctl", "restart", a[0]} }, true, "systemctl restart nginx"},
	{"start_service", regexp.MustCompile(`^systemctl start ` + unitArg + `$`), func(a []string) []string { return []string{"systemctl", "start", a[0]} }, true, "systemctl start nginx"},
	{"stop_service", regexp.MustCompile(`^systemctl stop ` + unitArg + `$`), func(a []string) []string { return []string{"systemctl", "stop", a[0]} }, true, "systemctl stop nginx"},
	{"service_status", regexp.MustCompile(`^systemctl status ` + unitArg + `$`), func(a []string) []string {
		return []string{"systemctl", "status", "--no-pager", "--lines=20", a[0]}
	}, false, "systemctl status nginx"},
	{"service_logs", regexp.MustCompile(`^journalctl -u ` + unitArg + ` -n ([1-9][0-9]{0,2})$`), func(a []string) []string {
		return []string{"journalctl", "--no-pager", "-u", a[0], "-n", a[1]}
	}, true, "journalctl -u nginx -n 50"},
	{"apt_update", regexp.MustCompile(`^apt(?:-get)? update$`), fixedArgv("apt-get", "update", "-q"), true, "apt-get update"},
	{"apt_upgrade", regexp.MustCompile(`^apt(?:-get)? upgrade -y$`), fixedArgv("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "upgrade", "-y", "-q"), true, "apt-get upgrade -y"},
	{"apt_install", regexp.MustCompile(`^apt(?:-get)? install -y ` + packageArg + `$`), func(a []string) []string {
		return []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", a[0]}
	}, true, "apt-get install -y htop"},
	{"uptime", regexp.MustCompile(`^uptime$`), fixedArgv("uptime"), false, "uptime"},
	{"disk_usage", regexp.MustCompile(`^df -h$`), fixedArgv("df", "-hP"), false, "df -h"},
	{"memory", regexp.MustCompile(`^free -m$`), fixedArgv("free", "-m"), false, "free -m"},
	{"reboot", regexp.MustCompile(`^reboot$`), fixedArgv("systemctl", "reboot"), true, "reboot"},
}

// MatchCommand finds the template command fits (actionType, when given,
// must agree) and returns it with the argv to run. False: not whitelisted.
func MatchCommand(command, actionType string) (*CommandTemplate, []string, bool) {
	for i := range CommandTemplates {
		t := &CommandTemplates[i]
		m := t.Pattern.FindStringSubmatch(command)
		if m == nil || (actionType != "" && actionType != t.ActionType) {
			continue
		}
		if t.ActionType == "service_logs" {
			if n, _ := strconv.Atoi(m[2]); n > 500 {
				return nil, nil, false
			}
		}
		return t, t.Argv(m[1:]), true
	}
	return nil, nil, false
}
