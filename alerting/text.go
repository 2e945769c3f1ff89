package alerting

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/homelabcmd/homelabcmd"
)

type text struct{ title, message string }

// render fills a kind's templates for a cause (see homelabcmd.AlertText).
func render(typ, cause string, pairs ...string) text {
	k, _ := homelabcmd.LookupAlertKind(typ)
	var t text
	t.title, t.message = k.Text(cause).Render(pairs...)
	return t
}

func downText(service, server, status string) text {
	return unitDownText(homelabcmd.KindSystemd, service, server, status)
}

func failedRestartText(service, server, status string, grace time.Duration) text {
	return unitFailedRestartText(homelabcmd.KindSystemd, service, server, status, grace)
}

func missingText(service, server string, n int) text {
	return unitMissingText(homelabcmd.KindSystemd, service, server, n)
}

// The texts of a unit's down alert, by its kind's alert type.
func unitDownText(kind homelabcmd.UnitKind, service, server, status string) text {
	return render(kind.DownAlert(), "", "service", service, "server", server, "status", status)
}

func unitFailedRestartText(kind homelabcmd.UnitKind, service, server, status string, grace time.Duration) text {
	return render(kind.DownAlert(), homelabcmd.CauseFailedRestart, "service", service, "server", server, "status", status, "grace", grace.String())
}

func unitMissingText(kind homelabcmd.UnitKind, service, server string, n int) text {
	return render(kind.DownAlert(), homelabcmd.CauseMissing, "service", service, "server", server, "count", strconv.Itoa(n))
}

func offlineText(server string) text {
	return render(homelabcmd.AlertOffline, "", "server", server)
}

func metricText(typ, severity string, v float64, limit int, server string) text {
	return render(typ, "", "Severity", capitalize(severity), "server", server,
		"value", fmt.Sprintf("%.0f", v), "threshold", strconv.Itoa(limit))
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
