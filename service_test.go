package homelabcmd

import (
	"strings"
	"testing"
)

func TestValidateUnitName(t *testing.T) {
	tests := []struct {
		name  string
		valid bool
	}{
		{"plex", true},
		{"plexmediaserver.service", true},
		{"pihole-FTL", true},
		{"home-assistant@homeassistant.service", true},
		{"getty@tty1", true},
		{"systemd-fsck@dev-disk-by\\x2duuid-1234.service", true},
		{"-.mount", true},
		{"docker.socket", true},
		{"nextcloud_cron.timer", true},
		{"a:b", true},
		{strings.Repeat("a", 247), true},
		{strings.Repeat("a", 247) + ".service", true},
		{strings.Repeat("a", 248), false}, // 256 with the implied .service
		{strings.Repeat("a", 255), false},
		{"", false},
		{strings.Repeat("a", 256), false},
		{"plex; rm -rf /", false},
		{"plex service", false},
		{"../etc/passwd", false},
		{"$(reboot)", false},
		{"@foo.service", false},
		{".service", false},
		{"plex\n", false},
		{"ünïcode", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateUnitName(tt.name)
			if (err == nil) != tt.valid {
				t.Fatalf("ValidateUnitName(%q) = %v, want valid %v", tt.name, err, tt.valid)
			}
			if err != nil && (!IsInvalid(err) || ErrorMessage(err) == "") {
				t.Fatalf("error %v is not a clear EINVALID", err)
			}
		})
	}
}

func TestUnitName(t *testing.T) {
	for in, want := range map[string]string{"plex": "plex.service", "plex.service": "plex.service", "docker.socket": "docker.socket", "backup.timer": "backup.timer", "foo.bar": "foo.bar.service"} {
		if got := UnitName(in); got != want {
			t.Errorf("UnitName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseServiceStatusValue(t *testing.T) {
	for _, s := range []string{"running", "stopped", "failed", "unknown"} {
		if v, err := ParseServiceStatusValue(s); err != nil || string(v) != s {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "Running", "active", "dead", "stopped "} {
		if _, err := ParseServiceStatusValue(s); !IsInvalid(err) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestValidateServerID(t *testing.T) {
	for id, ok := range map[string]bool{"omv-mediaserver": true, "pi4": true, "a": true, strings.Repeat("a", 100): true,
		"": false, strings.Repeat("a", 101): false, "Bad_ID": false, "has space": false, "UPPER": false} {
		if err := ValidateServerID(id); (err == nil) != ok {
			t.Errorf("%q: %v, want ok %v", id, err, ok)
		}
	}
}
