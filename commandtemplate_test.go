package homelabcmd

import (
	"reflect"
	"testing"
)

// TestWhitelist: the one whitelist the hub (over SSH) and the agent use.
func TestWhitelist(t *testing.T) {
	tests := []struct {
		command, actionType string
		want                []string // nil: refused
	}{
		{"systemctl restart nginx", "", []string{"systemctl", "restart", "nginx"}},
		{"systemctl restart nginx", "restart_service", []string{"systemctl", "restart", "nginx"}},
		{"systemctl restart getty@tty1.service", "", []string{"systemctl", "restart", "getty@tty1.service"}},
		{"systemctl status ssh", "", []string{"systemctl", "status", "--no-pager", "--lines=20", "ssh"}},
		{"journalctl -u ssh -n 50", "", []string{"journalctl", "--no-pager", "-u", "ssh", "-n", "50"}},
		{"apt-get install -y htop", "", []string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "htop"}},
		{"df -h", "", []string{"df", "-hP"}},
		{"journalctl -u ssh -n 501", "", nil},
		{"systemctl restart nginx", "stop_service", nil},
		{"systemctl restart -nginx", "", nil},
		{"systemctl restart nginx other", "", nil},
		{"systemctl restart 'x'", "", nil},
		{"apt-get install -y htop; reboot", "", nil},
		{"apt-get install -y --allow-unauthenticated", "", nil},
		{"uptime\n", "", nil},
		{"cat /etc/shadow", "", nil},
	}
	for _, tt := range tests {
		_, argv, ok := MatchCommand(tt.command, tt.actionType)
		if (tt.want == nil) == ok {
			t.Errorf("%q/%q: matched %v", tt.command, tt.actionType, ok)
			continue
		}
		if ok && !reflect.DeepEqual(argv, tt.want) {
			t.Errorf("%q: argv %q, want %q", tt.command, argv, tt.want)
		}
	}
}

func TestCommandExamplesMatch(t *testing.T) {
	for _, tmpl := range CommandTemplates {
		if _, _, ok := MatchCommand(tmpl.Example, tmpl.ActionType); !ok {
			t.Errorf("the example of %s does not match it: %q", tmpl.ActionType, tmpl.Example)
		}
	}
}
