package homelabcmd

import (
	"testing"
	"time"
)

func TestInferMachineCategory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ model, arch, want string }{
		{"Raspberry Pi 4 Model B Rev 1.4", "aarch64", "sbc"},
		{"Cortex-A72", "", "sbc"},
		{"", "armv7l", "sbc"},
		{"Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "x86_64", "rack_server"},
		{"AMD EPYC 7302P 16-Core Processor", "x86_64", "rack_server"},
		{"Intel(R) N100", "x86_64", "mini_pc"},
		{"Intel(R) Celeron(R) J4125 CPU @ 2.00GHz", "x86_64", "mini_pc"},
		{"Intel(R) Pentium(R) Silver J5005 CPU @ 1.50GHz", "x86_64", "mini_pc"},
		{"Intel(R) Atom(TM) CPU C3758 @ 2.20GHz", "x86_64", "mini_pc"},
		{"Intel(R) Core(TM) i7-8550U CPU @ 1.80GHz", "x86_64", "laptop"},
		{"AMD Ryzen 7 5800H with Radeon Graphics", "x86_64", "laptop"},
		{"AMD Ryzen Threadripper 3970X 32-Core Processor", "x86_64", "workstation"},
		{"Intel(R) Core(TM) i9-13900K", "x86_64", "workstation"},
		{"Intel(R) Core(TM) i5-6500 CPU @ 3.20GHz", "x86_64", "office_desktop"},
		{"AMD Ryzen 5 5600X 6-Core Processor", "x86_64", "office_desktop"},
		{"QEMU Virtual CPU version 2.5+", "x86_64", ""},
		{"", "", ""},
	} {
		if got := InferMachineCategory(tc.model, tc.arch); got != tc.want {
			t.Errorf("InferMachineCategory(%q, %q) = %q, want %q", tc.model, tc.arch, got, tc.want)
		}
	}
}

func TestEstimateDays(t *testing.T) {
	t.Parallel()
	ip := func(v int) *int { return &v }
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	created := day.AddDate(0, 0, -10)
	hours := []HourCPU{{day.Add(1 * time.Hour), 40, 1}, {day.Add(2 * time.Hour), 60, 1}} // day 1: avg 50% over 2 h
	for _, tc := range []struct {
		name      string
		srv       Server
		wantWatts float64
		wantHours float64
		wantKWh0  float64
		wantDay2  float64 // kWh of the day without data
	}{
		// 10 + (110-10)*0.5 = 60 W, 24 h → 1.44 kWh; day 2: idle 10 W × 24 h.
		{"server 24/7", Server{MachineType: MachineServer, IdleWatts: ip(10), TDPWatts: ip(110), CreatedAt: created}, 60, 24, 1.44, 0.24},
		// Workstation: only the 2 hours it reported → 0.12 kWh; nothing on day 2.
		{"workstation by uptime", Server{MachineType: MachineWorkstation, IdleWatts: ip(10), TDPWatts: ip(110), CreatedAt: created}, 60, 2, 0.12, 0},
		// sbc defaults 3/8 W: 3 + 5*0.5 = 5.5 W.
		{"category defaults", Server{MachineType: MachineServer, MachineCategory: new("sbc"), CreatedAt: created}, 5.5, 24, 0.132, 0.072},
	} {
		t.Run(tc.name, func(t *testing.T) {
			days := EstimateDays(&tc.srv, hours, day, day.AddDate(0, 0, 2), 0.5)
			if len(days) != 2 {
				t.Fatalf("days = %+v", days)
			}
			d := days[0]
			if d.AvgWatts != tc.wantWatts || d.HoursOnline != tc.wantHours || d.KWh != tc.wantKWh0 || d.Cost != round4(tc.wantKWh0*0.5) {
				t.Errorf("day 1 = %+v, want %v W %v h %v kWh", d, tc.wantWatts, tc.wantHours, tc.wantKWh0)
			}
			if days[1].KWh != tc.wantDay2 || days[1].CPUAvg != nil {
				t.Errorf("day 2 = %+v, want %v kWh", days[1], tc.wantDay2)
			}
		})
	}
	// Days before the server was added cost nothing.
	late := Server{MachineType: MachineServer, IdleWatts: ip(10), TDPWatts: ip(10), CreatedAt: day.Add(12 * time.Hour)}
	if d := EstimateDays(&late, nil, day, day.Add(24*time.Hour), 1); d[0].HoursOnline != 12 || d[0].KWh != 0.12 {
		t.Errorf("created mid-day: %+v", d[0])
	}
}
