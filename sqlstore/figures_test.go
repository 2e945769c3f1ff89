package sqlstore

import (
	"encoding/json"
	"testing"
)

// The hand-written encoder of the figures row writes what json.Marshal does.
func TestAppendFiguresIsJSON(t *testing.T) {
	pid, restarts := 1234, 3
	mem, cpu, big := 512.5, 0.0, 1.5e300
	for _, units := range []map[string]unitFigure{
		{},
		{"nginx.service": {PID: &pid, MemoryMB: &mem, CPUPercent: &cpu, Restarts: &restarts}},
		{"a": {}, "b": {MemoryMB: &big}, "c": {Restarts: &restarts}, `odd "name"\é<>&`: {CPUPercent: &mem}},
	} {
		want, err := json.Marshal(units)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendFigures(nil, units); string(got) != string(want) {
			t.Errorf("appendFigures = %s, json.Marshal = %s", got, want)
		}
	}
}
