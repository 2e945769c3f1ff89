package homelabcmd

import "strings"

// AlertKind is one kind of alert: the alert_type it is stored under and
// everything that names, explains or configures it. The rules, the API,
// notifications, the Prometheus export and the dashboard all read it from
// the one table behind AlertKinds, so adding a rule touches the table, the
// rule function and its tests (a new metric also needs its typed field in
// alerting.Thresholds and ThresholdsPatch; a test there says so).
type AlertKind struct {
	// Name is the stored alert_type value and the dedup key (prefix);
	// stored alerts and rule states depend on it, so it never changes.
	Name string
	// Label is how the dashboard names the kind ("CPU", "Server offline").
	Label string
	// PerService is true when each expected service has its own alert
	// (dedup key "service:<name>").
	PerService bool
	// Metric is set for a host metric threshold rule, nil otherwise.
	Metric *MetricSpec
	// ThresholdKey is the kind's key in the thresholds document
	// (GET /api/v1/config/thresholds), "" when it has none.
	ThresholdKey string
	// Texts are the title and message templates by cause; "" is the usual
	// cause, used for unknown ones too. See AlertText for placeholders.
	Texts map[string]AlertText
	// Headline and ResolvedHeadline name an open and a resolved alert in a
	// notification (after "High: " or "Resolved: "); Status is its status
	// field, "" for none.
	Headline, ResolvedHeadline, Status string
	// Hint is the remediation hint under an open alert's notification.
	Hint string
}

// MetricSpec is what a host metric rule reads and its default thresholds.
type MetricSpec struct {
	// Unit follows every value and threshold ("%").
	Unit string
	// Field is the heartbeat's JSON field the rule reads ("cpu_percent").
	Field string
	// Value reads Field from a report; nil when the agent did not send it.
	Value func(*Metrics) *float64
	// Help says what is measured, for exporters ("root disk use").
	Help string
	// HighPercent and CriticalPercent open high and critical alerts once a
	// value stays at or above them for SustainedSeconds (0: at once).
	HighPercent, CriticalPercent, SustainedSeconds int
}

// Causes of a service alert besides the usual one (the service is down).
const (
	CauseFailedRestart = "failed_restart"
	CauseMissing       = "missing"
)

// AlertText is a title and message template. Placeholders in braces
// ({server}, {service}, {status}, {Severity}, {value}, {threshold},
// {grace}, {count}, {duration}, {uptime}, {reason}, {window}) are replaced by Render; the rule that raises the alert
// supplies them.
type AlertText struct{ Title, Message string }

// Render fills the placeholders from name, value pairs. Values are
// inserted verbatim, never expanded again.
func (t AlertText) Render(pairs ...string) (title, message string) {
	args := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		args = append(args, "{"+pairs[i]+"}", pairs[i+1])
	}
	r := strings.NewReplacer(args...)
	return r.Replace(t.Title), r.Replace(t.Message)
}

// Text returns the templates for a cause, or the usual ones.
func (k AlertKind) Text(cause string) AlertText {
	if t, ok := k.Texts[cause]; ok {
		return t
	}
	return k.Texts[""]
}

// AlertKinds returns every alert kind, in the order the API lists them.
func AlertKinds() []AlertKind { return append([]AlertKind(nil), alertKinds...) }

// LookupAlertKind returns the kind stored as name.
func LookupAlertKind(name string) (AlertKind, bool) {
	for _, k := range alertKinds {
		if k.Name == name {
			return k, true
		}
	}
	return AlertKind{}, false
}

// AlertKindNames returns every alert_type value, in table order.
func AlertKindNames() []string {
	out := make([]string, len(alertKinds))
	for i, k := range alertKinds {
		out[i] = k.Name
	}
	return out
}

// MetricKinds returns the names of the host metric kinds, in table order;
// they are also the rule-state keys of the sustain windows.
func MetricKinds() []string {
	var out []string
	for _, k := range alertKinds {
		if k.Metric != nil {
			out = append(out, k.Name)
		}
	}
	return out
}
