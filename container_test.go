package homelabcmd_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestContainerUnitMapping(t *testing.T) {
	code := func(n int) *int { return &n }
	tests := []struct {
		name   string
		c      homelabcmd.ContainerReport
		status homelabcmd.ServiceStatusValue
		reason string
	}{
		{"running, no health check", homelabcmd.ContainerReport{State: "running", Health: "none"}, homelabcmd.StatusRunning, ""},
		{"running, healthy", homelabcmd.ContainerReport{State: "running", Health: "healthy"}, homelabcmd.StatusRunning, ""},
		{"running, health starting", homelabcmd.ContainerReport{State: "running", Health: "starting"}, homelabcmd.StatusRunning, ""},
		{"running but unhealthy", homelabcmd.ContainerReport{State: "running", Health: "unhealthy"}, homelabcmd.StatusFailed, "unhealthy"},
		{"exited 0", homelabcmd.ContainerReport{State: "exited", ExitCode: code(0)}, homelabcmd.StatusStopped, "exited, exit code 0"},
		{"exited 1", homelabcmd.ContainerReport{State: "exited", ExitCode: code(1)}, homelabcmd.StatusFailed, "exited, exit code 1"},
		{"OOM-killed", homelabcmd.ContainerReport{State: "exited", ExitCode: code(137), OOMKilled: true}, homelabcmd.StatusFailed, "exited, exit code 137, OOM-killed"},
		{"dead", homelabcmd.ContainerReport{State: "dead", ExitCode: code(255)}, homelabcmd.StatusFailed, "dead, exit code 255"},
		{"restarting", homelabcmd.ContainerReport{State: "restarting", ExitCode: code(1)}, homelabcmd.StatusFailed, "restarting, exit code 1"},
		{"paused", homelabcmd.ContainerReport{State: "paused"}, homelabcmd.StatusStopped, "paused"},
		{"created", homelabcmd.ContainerReport{State: "created"}, homelabcmd.StatusStopped, "created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Name = "plex"
			u := tc.c.Unit()
			reason := ""
			if u.StatusReason != nil {
				reason = *u.StatusReason
			}
			if u.Status != tc.status || reason != tc.reason || u.Kind != homelabcmd.KindContainer || u.Container == nil {
				t.Errorf("Unit() = %s %q (kind %s), want %s %q", u.Status, reason, u.Kind, tc.status, tc.reason)
			}
		})
	}
}

func TestValidateContainerName(t *testing.T) {
	for _, ok := range []string{"plex", "media-plex-1", "a", "home_assistant.2"} {
		if err := homelabcmd.ValidateContainerName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "/plex", "a b", "x;rm", "../etc", strings.Repeat("a", 256), "plex\n"} {
		if err := homelabcmd.ValidateContainerName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHeartbeatContainersValidation(t *testing.T) {
	base := func() *homelabcmd.Heartbeat {
		return &homelabcmd.Heartbeat{ServerID: "nas", Hostname: "nas", Timestamp: homelabcmd.Time{Time: time.Now()}}
	}
	neg := -1
	tests := []struct {
		name  string
		c     homelabcmd.ContainerReport
		field string
	}{
		{"valid", homelabcmd.ContainerReport{Name: "plex", State: "running", Health: "healthy"}, ""},
		{"bad name", homelabcmd.ContainerReport{Name: "a b", State: "running"}, "containers.0.name"},
		{"bad state", homelabcmd.ContainerReport{Name: "plex", State: "zombie"}, "containers.0.state"},
		{"bad health", homelabcmd.ContainerReport{Name: "plex", State: "running", Health: "meh"}, "containers.0.health"},
		{"negative restarts", homelabcmd.ContainerReport{Name: "plex", State: "running", RestartCount: &neg}, "containers.0.restart_count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hb := base()
			hb.Containers = []homelabcmd.ContainerReport{tc.c}
			err := hb.Validate()
			if tc.field == "" && err != nil || tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field)) {
				t.Errorf("Validate() = %v, want field %q", err, tc.field)
			}
		})
	}
	hb := base()
	hb.Containers = make([]homelabcmd.ContainerReport, homelabcmd.MaxContainersPerHeartbeat+1)
	if err := hb.Validate(); err == nil || !strings.Contains(err.Error(), "containers") {
		t.Errorf("%d containers: %v", len(hb.Containers), err)
	}
}

func TestActionTypeTable(t *testing.T) {
	for _, tc := range []struct {
		kind homelabcmd.UnitKind
		verb string
		want string
	}{{homelabcmd.KindSystemd, "restart", "restart_service"}, {homelabcmd.KindContainer, "restart", "restart_container"},
		{homelabcmd.KindContainer, "start", "start_container"}, {homelabcmd.KindContainer, "stop", "stop_container"}} {
		typ, err := homelabcmd.UnitActionType(tc.kind, tc.verb)
		if err != nil || typ.Name != tc.want {
			t.Errorf("%s %s: %v %v, want %s", tc.kind, tc.verb, typ.Name, err, tc.want)
		}
	}
	if _, err := homelabcmd.UnitActionType(homelabcmd.KindSystemd, "stop"); err == nil {
		t.Error("stop of a systemd unit is an action type")
	}
	if typ, _ := homelabcmd.LookupActionType("restart_container"); typ.Command("plex") != "docker restart plex" {
		t.Errorf("command %q", typ.Command("plex"))
	}
}

// An engine with no containers is an empty list on the wire, not absent:
// the hub then counts expected containers as not reported.
func TestHeartbeatContainersEmptyIsNotAbsent(t *testing.T) {
	for _, tc := range []struct {
		containers []homelabcmd.ContainerReport
		want       bool
	}{{nil, false}, {[]homelabcmd.ContainerReport{}, true}} {
		b, _ := json.Marshal(homelabcmd.Heartbeat{ServerID: "nas", Containers: tc.containers})
		if got := strings.Contains(string(b), `"containers":[]`); got != tc.want {
			t.Errorf("%v: %s", tc.containers == nil, b)
		}
		var back homelabcmd.Heartbeat
		json.Unmarshal(b, &back)
		if (back.Containers != nil) != tc.want {
			t.Errorf("decoded containers nil=%v, want present=%v", back.Containers == nil, tc.want)
		}
	}
}
