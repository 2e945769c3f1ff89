package homelabcmd

import (
	"regexp"
	"strings"
	"time"
)

// Machine category sources: "auto" when a heartbeat inferred it from the
// CPU, "user" when the operator set it (heartbeats then leave it alone).
const (
	CategorySourceAuto = "auto"
	CategorySourceUser = "user"
)

// PowerProfile is a machine category's default power draw in watts, used
// when a server's idle_watts or tdp_watts is unset.
type PowerProfile struct {
	Category string `json:"category"`
	Label    string `json:"label"`
	IdleW    int    `json:"idle_watts"`
	MaxW     int    `json:"tdp_watts"`
}

// PowerProfiles is the one table of machine categories and their default
// idle and full-load draw (typical whole-machine figures, not CPU TDPs).
var PowerProfiles = []PowerProfile{
	{"sbc", "Single-board computer", 3, 8},
	{"mini_pc", "Mini PC", 8, 30},
	{"nas", "NAS", 20, 45},
	{"laptop", "Laptop", 10, 45},
	{"office_desktop", "Office desktop", 25, 90},
	{"gaming_desktop", "Gaming desktop", 60, 350},
	{"workstation", "Workstation", 60, 250},
	{"server", "Server", 40, 150},
	{"rack_server", "Rack server", 100, 350},
}

// DefaultCategory is assumed for power when a server has no category.
const DefaultCategory = "server"

// ProfileFor returns the category's profile, or the default category's.
func ProfileFor(category string) PowerProfile {
	for _, p := range PowerProfiles {
		if p.Category == category {
			return p
		}
	}
	for _, p := range PowerProfiles {
		if p.Category == DefaultCategory {
			return p
		}
	}
	return PowerProfile{}
}

// categoryRules infers a category from the CPU model (lowercased, first
// match wins); the architecture is the fallback (ARM, RISC-V → sbc).
var categoryRules = []struct {
	pattern  *regexp.Regexp
	category string
}{
	{regexp.MustCompile(`raspberry|cortex-a|bcm2[0-9]|rockchip|allwinner|amlogic`), "sbc"},
	{regexp.MustCompile(`xeon|epyc|opteron|threadripper pro`), "rack_server"},
	{regexp.MustCompile(`annapurna|realtek rtd`), "nas"},
	{regexp.MustCompile(`\batom\b|celeron|pentium (silver|gold)|\b[nj][0-9]{3,4}\b|ryzen embedded`), "mini_pc"},
	{regexp.MustCompile(`\bapple m[0-9]|core\(tm\) ultra|\b[0-9]{4,5}(u|h|hs|hx)\b`), "laptop"},
	{regexp.MustCompile(`threadripper|\bi9-|ryzen 9`), "workstation"},
	{regexp.MustCompile(`\bi[3579]-|ryzen|core\(tm\)|\bcore 2|pentium|\bfx-`), "office_desktop"},
}

// InferMachineCategory guesses the power category from a heartbeat's CPU
// model and architecture; "" when nothing matches (the category is then
// left as it was).
func InferMachineCategory(cpuModel, arch string) string {
	m := strings.ToLower(cpuModel)
	for _, r := range categoryRules {
		if r.pattern.MatchString(m) {
			return r.category
		}
	}
	switch a := strings.ToLower(arch); {
	case strings.HasPrefix(a, "arm"), strings.HasPrefix(a, "aarch64"), strings.HasPrefix(a, "riscv"):
		return "sbc"
	}
	return ""
}

// ValidateMachineCategory checks an operator-set category: empty (clears
// it, so heartbeats infer it again) or 1-50 characters of text; any name
// is accepted as the original did, unknown ones use the default power.
func ValidateMachineCategory(c string) error {
	if len(c) > 50 {
		return FieldError("machine_category", "machine_category must be at most 50 characters")
	}
	return CheckText("machine_category", c, 50)
}

// Watts returns a server's (idle, full-load) power, from its own figures
// or its category's defaults, and whether they are defaults.
func (s *Server) Watts() (idle, full int, defaulted bool) {
	cat := ""
	if s.MachineCategory != nil {
		cat = *s.MachineCategory
	}
	p := ProfileFor(cat)
	idle, full = p.IdleW, p.MaxW
	if s.IdleWatts != nil {
		idle = *s.IdleWatts
	} else {
		defaulted = true
	}
	if s.TDPWatts != nil {
		full = *s.TDPWatts
	} else {
		defaulted = true
	}
	if full < idle {
		full = idle
	}
	return idle, full, defaulted
}

// HourCPU is a server's average CPU use over Hours hours with data from
// Hour (one hour, or a UTC day's hours summed from the rollups).
type HourCPU struct {
	Hour  time.Time
	CPU   float64
	Hours int
}

// DayCost is one UTC day of a server's estimated electricity use.
type DayCost struct {
	Date        string   `json:"date"` // YYYY-MM-DD
	HoursOnline float64  `json:"hours_online"`
	CPUAvg      *float64 `json:"cpu_avg_percent"`
	AvgWatts    float64  `json:"avg_watts"`
	KWh         float64  `json:"kwh"`
	Cost        float64  `json:"cost"`
}

// EstimateDays estimates a server's use per UTC day in [from, to): the
// power is idle + (full - idle) × CPU use, with the day's measured CPU
// average (its hours with data). A server is assumed on 24/7 (its days
// before it was added excluded); a workstation only for the hours it
// reported (a heartbeat in the hour). rate is per kWh.
func EstimateDays(s *Server, hours []HourCPU, from, to time.Time, rate float64) []DayCost {
	idle, full, _ := s.Watts()
	type acc struct {
		sum float64
		n   int
	}
	byDay := map[string]*acc{}
	for _, h := range hours {
		if h.Hour.Before(from.UTC().Truncate(24*time.Hour)) || !h.Hour.Before(to) {
			continue
		}
		k := h.Hour.UTC().Format(time.DateOnly)
		a := byDay[k]
		if a == nil {
			a = &acc{}
			byDay[k] = a
		}
		n := max(h.Hours, 1)
		a.sum += min(max(h.CPU, 0), 100) * float64(n)
		a.n += n
	}
	start := from.UTC().Truncate(24 * time.Hour)
	created := s.CreatedAt.UTC()
	out := []DayCost{}
	for d := start; d.Before(to); d = d.Add(24 * time.Hour) {
		k := d.Format(time.DateOnly)
		dc := DayCost{Date: k}
		lo, hi := latest(d, from, created.Truncate(time.Hour)), d.Add(24*time.Hour)
		if to.Before(hi) {
			hi = to
		}
		span := 0.0
		if hi.After(lo) {
			span = hi.Sub(lo).Hours()
		}
		cpu := 0.0
		if a := byDay[k]; a != nil {
			cpu = a.sum / float64(a.n)
			v := round2(cpu)
			dc.CPUAvg = &v
			if s.MachineType == MachineWorkstation {
				span = float64(a.n)
			}
		} else if s.MachineType == MachineWorkstation {
			span = 0
		}
		dc.HoursOnline = round2(span)
		if span > 0 {
			dc.AvgWatts = round2(float64(idle) + float64(full-idle)*cpu/100)
		}
		kwh := dc.AvgWatts * span / 1000
		dc.KWh = round4(kwh)
		dc.Cost = round4(kwh * rate)
		out = append(out, dc)
	}
	return out
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

func latest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.After(out) {
			out = t
		}
	}
	return out
}
