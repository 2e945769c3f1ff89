package agent

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The agent's values take what the original agent's files hold: numbers as
// seconds, sizes with units, lists as YAML lists (or comma-separated in the
// environment). Each setter returns an error without the key.

func setString(dst *string, v any) error {
	switch v := v.(type) {
	case string:
		*dst = strings.TrimSpace(v)
	case int, float64, bool:
		*dst = fmt.Sprint(v)
	default:
		return fmt.Errorf("must be a single value, not a %s", kind(v))
	}
	return nil
}

// setDuration accepts a number of units (heartbeat_interval: 60 means 60 s,
// as in the original) or a Go duration with an optional "d" for days.
func setDuration(dst *time.Duration, v any, unit time.Duration) error {
	switch v := v.(type) {
	case int:
		*dst = time.Duration(v) * unit
	case float64:
		*dst = time.Duration(v * float64(unit))
	case string:
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			*dst = time.Duration(n * float64(unit))
			return nil
		}
		if d, ok := strings.CutSuffix(s, "d"); ok {
			n, err := strconv.ParseFloat(d, 64)
			if err != nil {
				return fmt.Errorf("%q is not a duration (e.g. 60, 90s, 12h, 7d)", v)
			}
			*dst = time.Duration(n * float64(24*time.Hour))
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 60, 90s, 12h, 7d)", v)
		}
		*dst = d
	default:
		return fmt.Errorf("must be a number of seconds or a duration, not a %s", kind(v))
	}
	return nil
}

// setSize accepts bytes or a number with KB, MB or GB (powers of 1024).
func setSize(dst *int64, v any) error {
	switch v := v.(type) {
	case int:
		*dst = int64(v)
		return nil
	case string:
		s := strings.ToUpper(strings.TrimSpace(v))
		mult := int64(1)
		for _, u := range []struct {
			suf string
			m   int64
		}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
			if n, ok := strings.CutSuffix(s, u.suf); ok {
				s, mult = strings.TrimSpace(n), u.m
				break
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a size (e.g. 67108864, 64MB, 1GB)", v)
		}
		*dst = n * mult
		return nil
	}
	return fmt.Errorf("must be a size, not a %s", kind(v))
}

func setBool(dst *bool, v any) error {
	switch v := v.(type) {
	case bool:
		*dst = v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*dst = b
	default:
		return fmt.Errorf("must be true or false, not a %s", kind(v))
	}
	return nil
}

// setList accepts a YAML list or a comma-separated string (environment).
func setList(dst *[]string, v any) error {
	var out []string
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("item %d must be a unit name, not a %s", i, kind(e))
			}
			out = append(out, strings.TrimSpace(s))
		}
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	default:
		return fmt.Errorf("must be a list of unit names, not a %s", kind(v))
	}
	*dst = out
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
