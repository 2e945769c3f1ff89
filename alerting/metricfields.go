package alerting

import (
	"reflect"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// Each metric kind's rule lives in the field of Thresholds (and of
// ThresholdsPatch) whose JSON key is the kind's ThresholdKey. Typed fields
// keep the API's JSON shape and the callers' t.CPU; these indexes let
// every rule loop over homelabcmd.MetricKinds() instead of naming them.
// TestThresholdFieldsMatchTable checks both structs against the table.
var (
	thresholdFields = fieldsByJSONKey(reflect.TypeFor[Thresholds](), reflect.TypeFor[MetricThreshold]())
	patchFields     = fieldsByJSONKey(reflect.TypeFor[ThresholdsPatch](), reflect.TypeFor[*MetricThresholdPatch]())
)

// fieldsByJSONKey maps the JSON key of each field of type ft to its index.
func fieldsByJSONKey(t, ft reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		if f := t.Field(i); f.Type == ft {
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out[key] = i
		}
	}
	return out
}

// metric returns the rule of a metric threshold key, nil for an unknown one.
func (t *Thresholds) metric(key string) *MetricThreshold {
	i, ok := thresholdFields[key]
	if !ok {
		return nil
	}
	return reflect.ValueOf(t).Elem().Field(i).Addr().Interface().(*MetricThreshold)
}

// metric returns the patch of a metric threshold key, nil when not given.
func (p *ThresholdsPatch) metric(key string) *MetricThresholdPatch {
	i, ok := patchFields[key]
	if !ok {
		return nil
	}
	return reflect.ValueOf(p).Elem().Field(i).Interface().(*MetricThresholdPatch)
}

// metricKinds are the kinds with a metric threshold rule, in table order.
func metricKinds() []homelabcmd.AlertKind {
	var out []homelabcmd.AlertKind
	for _, k := range homelabcmd.AlertKinds() {
		if k.Metric != nil {
			out = append(out, k)
		}
	}
	return out
}
