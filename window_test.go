package homelabcmd_test

import (
	"errors"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func TestMaintenanceWindowActive(t *testing.T) {
	nas := "nas"
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time { v, _ := time.ParseInLocation("2006-01-02 15:04", s, berlin); return v }
	// 2026-03-02 is a Monday.
	for _, tc := range []struct {
		name string
		w    homelabcmd.MaintenanceWindow
		t    time.Time
		want bool
	}{
		{"quiet hours at night", homelabcmd.MaintenanceWindow{Start: "22:00", End: "07:00", TimeZone: "Europe/Berlin"}, at("2026-03-02 23:30"), true},
		{"after midnight", homelabcmd.MaintenanceWindow{Start: "22:00", End: "07:00", TimeZone: "Europe/Berlin"}, at("2026-03-03 06:59"), true},
		{"at the end", homelabcmd.MaintenanceWindow{Start: "22:00", End: "07:00", TimeZone: "Europe/Berlin"}, at("2026-03-03 07:00"), false},
		{"daytime", homelabcmd.MaintenanceWindow{Start: "22:00", End: "07:00", TimeZone: "Europe/Berlin"}, at("2026-03-02 12:00"), false},
		{"in its zone, not UTC", homelabcmd.MaintenanceWindow{Start: "22:00", End: "23:00", TimeZone: "Europe/Berlin"}, time.Date(2026, 3, 2, 21, 30, 0, 0, time.UTC), true},
		{"weekday slot", homelabcmd.MaintenanceWindow{Weekdays: []string{"sun"}, Start: "02:00", End: "04:00", TimeZone: "Europe/Berlin"}, at("2026-03-01 03:00"), true},
		{"other weekday", homelabcmd.MaintenanceWindow{Weekdays: []string{"sun"}, Start: "02:00", End: "04:00", TimeZone: "Europe/Berlin"}, at("2026-03-02 03:00"), false},
		{"past midnight after its weekday", homelabcmd.MaintenanceWindow{Weekdays: []string{"sun"}, Start: "23:00", End: "01:00", TimeZone: "Europe/Berlin"}, at("2026-03-02 00:30"), true},
		{"another server's", homelabcmd.MaintenanceWindow{ServerID: ptr("pi"), Start: "00:00", End: "00:00", TimeZone: "UTC"}, at("2026-03-02 12:00"), false},
		{"its server, all day", homelabcmd.MaintenanceWindow{ServerID: &nas, Start: "00:00", End: "00:00", TimeZone: "UTC"}, at("2026-03-02 12:00"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Active("nas", tc.t); got != tc.want {
				t.Errorf("Active = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMaintenanceWindowValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		w     homelabcmd.MaintenanceWindow
		field string
	}{
		{"no name", homelabcmd.MaintenanceWindow{Start: "22:00", End: "07:00"}, "name"},
		{"bad time", homelabcmd.MaintenanceWindow{Name: "n", Start: "25:00", End: "07:00"}, "start"},
		{"bad zone", homelabcmd.MaintenanceWindow{Name: "n", Start: "22:00", End: "07:00", TimeZone: "Mars/Olympus"}, "time_zone"},
		{"bad day", homelabcmd.MaintenanceWindow{Name: "n", Weekdays: []string{"caturday"}, Start: "22:00", End: "07:00"}, "weekdays"},
		{"ok", homelabcmd.MaintenanceWindow{Name: "n", Weekdays: []string{"Sat"}, Start: "22:00", End: "07:00"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.w.Validate()
			var e *homelabcmd.Error
			if tc.field == "" {
				if err != nil || tc.w.TimeZone != "UTC" {
					t.Fatalf("valid window: %v %+v", err, tc.w)
				}
				return
			}
			if !asErr(err, &e) || e.Field != tc.field {
				t.Fatalf("error = %v, want field %s", err, tc.field)
			}
		})
	}
}

func TestQuietFor(t *testing.T) {
	all := []homelabcmd.MaintenanceWindow{{Start: "00:00", End: "00:00", TimeZone: "UTC", PageCritical: true}}
	if q, p := homelabcmd.QuietFor(all, "nas", time.Now()); !q || !p {
		t.Errorf("quiet %v page %v", q, p)
	}
	all = append(all, homelabcmd.MaintenanceWindow{Start: "00:00", End: "00:00", TimeZone: "UTC"})
	if q, p := homelabcmd.QuietFor(all, "nas", time.Now()); !q || p {
		t.Errorf("two windows: quiet %v page %v", q, p)
	}
	if q, p := homelabcmd.QuietFor(nil, "nas", time.Now()); q || p {
		t.Errorf("no window: quiet %v page %v", q, p)
	}
}

func ptr[T any](v T) *T { return &v }

func asErr(err error, target **homelabcmd.Error) bool { return errors.As(err, target) }

func TestQuietUntil(t *testing.T) {
	nas := "nas"
	nightly := homelabcmd.MaintenanceWindow{Name: "night", Start: "23:00", End: "06:30", TimeZone: "Europe/Berlin"}
	sunday := homelabcmd.MaintenanceWindow{Name: "updates", ServerID: &nas, Weekdays: []string{"sun"}, Start: "03:00", End: "05:00", TimeZone: "UTC"}
	always := homelabcmd.MaintenanceWindow{Name: "always", Start: "00:00", End: "00:00", TimeZone: "UTC"}
	// Sunday 2026-11-29 03:30 UTC = 04:30 in Berlin: both windows are on.
	at := time.Date(2026, 11, 29, 3, 30, 15, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		windows []homelabcmd.MaintenanceWindow
		server  string
		want    time.Time
		ok      bool
	}{
		{"nightly", []homelabcmd.MaintenanceWindow{nightly}, "nas", time.Date(2026, 11, 29, 5, 30, 0, 0, time.UTC), true},
		{"sunday slot", []homelabcmd.MaintenanceWindow{sunday}, "nas", time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC), true},
		{"both: the later end", []homelabcmd.MaintenanceWindow{sunday, nightly}, "nas", time.Date(2026, 11, 29, 5, 30, 0, 0, time.UTC), true},
		{"another server's window", []homelabcmd.MaintenanceWindow{sunday}, "pi", at.Truncate(time.Minute).Add(time.Minute), true},
		{"never ends", []homelabcmd.MaintenanceWindow{always}, "nas", time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := homelabcmd.QuietUntil(tc.windows, tc.server, at)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Fatalf("QuietUntil = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
