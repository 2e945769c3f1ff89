package alerting

import (
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestQuorum(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	agent := func(id, status string, age time.Duration) homelabcmd.CheckAgentStatus {
		return homelabcmd.CheckAgentStatus{ServerID: id, ServerName: id, Status: status, CheckedAt: now.Add(-age)}
	}
	check := homelabcmd.Check{Name: "web", IntervalSeconds: 60}
	tests := []struct {
		name    string
		quorum  int
		agents  []homelabcmd.CheckAgentStatus
		state   string
		failing int
	}{
		{"no agent", 0, nil, "pending", 0},
		{"only pending", 0, []homelabcmd.CheckAgentStatus{agent("a", "pending", 0)}, "pending", 0},
		{"all up", 0, []homelabcmd.CheckAgentStatus{agent("a", "up", 0), agent("b", "up", 0)}, "up", 0},
		{"one of two down, quorum all", 0, []homelabcmd.CheckAgentStatus{agent("a", "down", 0), agent("b", "up", 0)}, "up", 0},
		{"both down", 0, []homelabcmd.CheckAgentStatus{agent("a", "down", 0), agent("b", "down", 0)}, "down", 2},
		{"one of two down, quorum 1", 1, []homelabcmd.CheckAgentStatus{agent("a", "down", 0), agent("b", "up", 0)}, "down", 1},
		{"down and warn: warn", 0, []homelabcmd.CheckAgentStatus{agent("a", "down", 0), agent("b", "warn", 0)}, "warn", 2},
		{"a stale agent does not count", 0, []homelabcmd.CheckAgentStatus{agent("a", "down", 0), agent("b", "up", 10*time.Minute)}, "down", 1},
		{"quorum above the agents counted is all of them", 5, []homelabcmd.CheckAgentStatus{agent("a", "down", 0), agent("b", "down", 0)}, "down", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := check
			c.Quorum = tc.quorum
			v := Quorum(c, tc.agents, now)
			if v.State != tc.state || len(v.Failing) != tc.failing {
				t.Fatalf("state %s failing %d, want %s %d", v.State, len(v.Failing), tc.state, tc.failing)
			}
		})
	}
}

// A replayed report resolves but opens nothing; a paused server's opening
// is stored but not notified.
func TestEvaluateCheckReplayAndPause(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	down := []homelabcmd.CheckAgentStatus{{ServerID: "pi", ServerName: "pi", Status: "down", CheckedAt: now}}
	in := CheckInput{Server: Server{ID: "pi", Name: "pi"}, Check: homelabcmd.Check{Name: "web", IntervalSeconds: 60, Critical: true}, Agents: down, Replay: true}
	if trs, _ := EvaluateCheck(in, DefaultConfig(), now); len(trs) != 0 {
		t.Fatalf("a replay opened %+v", trs)
	}
	in.Replay, in.Server.Paused = false, true
	trs, _ := EvaluateCheck(in, DefaultConfig(), now)
	if len(trs) != 1 || trs[0].Kind != Opened || trs[0].Notify || trs[0].Alert.Severity != homelabcmd.SeverityCritical {
		t.Fatalf("paused: %+v", trs)
	}
}
