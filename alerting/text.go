package alerting

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/homelabcmd/homelabcmd"
)

type text struct{ title, message string }

func downText(service, server, status string) text {
	return text{fmt.Sprintf("Service %s is %s on %s", service, status, server),
		fmt.Sprintf("Expected service %s on %s is %s.", service, server, status)}
}

func failedRestartText(service, server, status string, grace time.Duration) text {
	return text{fmt.Sprintf("Service %s failed to start after a restart on %s", service, server),
		fmt.Sprintf("Expected service %s on %s failed to start after a restart: it is still %s after the %s grace period.", service, server, status, grace)}
}

func missingText(service, server string, n int) text {
	return text{fmt.Sprintf("Service %s is not reported on %s", service, server),
		fmt.Sprintf("The agent on %s has not reported expected service %s for %d heartbeats in a row.", server, service, n)}
}

func offlineText(server string) text {
	return text{"Server offline: " + server, fmt.Sprintf("Server %s is not responding to heartbeats.", server)}
}

var metricNames = map[string]string{homelabcmd.AlertCPU: "CPU", homelabcmd.AlertMemory: "Memory", homelabcmd.AlertDisk: "Disk"}

func metricTitle(typ, severity, server string) string {
	return fmt.Sprintf("%s %s usage on %s", capitalize(severity), metricNames[typ], server)
}

func metricMessage(typ string, v float64, limit int, server string) string {
	return fmt.Sprintf("%s usage on %s is %.0f%%, at or above the %d%% threshold.", metricNames[typ], server, v, limit)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func sortStates(s []State) {
	slices.SortFunc(s, func(a, b State) int { return strings.Compare(a.Key, b.Key) })
}
