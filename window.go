package homelabcmd

import (
	"slices"
	"strings"
	"time"
)

// MaintenanceWindow is a recurring quiet period (quiet hours, a weekly
// maintenance slot) for one server or, with ServerID nil, the whole fleet:
// while it is active alerts are recorded but not notified (critical ones
// still are with PageCritical), and the alerts still open when it ends are
// notified then. A pause is the immediate, open-ended form.
type MaintenanceWindow struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	ServerID *string `json:"server_id"`
	// Weekdays the window starts on ("mon" … "sun"); empty means every day.
	Weekdays []string `json:"weekdays"`
	// Start and End are local times "HH:MM" in TimeZone (an IANA name);
	// an End at or before Start runs past midnight, equal ones all day.
	Start        string    `json:"start"`
	End          string    `json:"end"`
	TimeZone     string    `json:"time_zone"`
	PageCritical bool      `json:"page_critical"`
	CreatedAt    time.Time `json:"created_at"`
}

var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Validate checks the fields and fills the defaults (UTC, every day).
// EINVALID.
func (w *MaintenanceWindow) Validate() error {
	if w.Name == "" || len(w.Name) > 100 {
		return FieldError("name", "name must be 1-100 characters")
	}
	if w.ServerID != nil {
		if err := ValidateServerID(*w.ServerID); err != nil {
			return FieldError("server_id", "%s", ErrorMessage(err))
		}
	}
	if w.Weekdays == nil {
		w.Weekdays = []string{}
	}
	for i, d := range w.Weekdays {
		w.Weekdays[i] = strings.ToLower(d)
		if !slices.Contains(weekdayNames, w.Weekdays[i]) {
			return FieldError("weekdays", "%q is not one of mon, tue, wed, thu, fri, sat, sun", d)
		}
	}
	for _, f := range []struct{ name, v string }{{"start", w.Start}, {"end", w.End}} {
		if _, err := time.Parse("15:04", f.v); err != nil || len(f.v) != 5 {
			return FieldError(f.name, "must be a time of day HH:MM")
		}
	}
	if w.TimeZone == "" {
		w.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(w.TimeZone); err != nil {
		return FieldError("time_zone", "unknown time zone %q", w.TimeZone)
	}
	return nil
}

// Active reports whether the window is on at t for the server (a fleet-wide
// window is on for every server).
func (w *MaintenanceWindow) Active(serverID string, t time.Time) bool {
	if w.ServerID != nil && *w.ServerID != serverID {
		return false
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return false
	}
	local := t.In(loc)
	tod := local.Format("15:04")
	starts := func(day time.Time) bool {
		return len(w.Weekdays) == 0 || slices.Contains(w.Weekdays, weekdayNames[day.Weekday()])
	}
	switch {
	case w.Start == w.End:
		return starts(local)
	case w.Start < w.End:
		return starts(local) && tod >= w.Start && tod < w.End
	default: // past midnight: from Start today, or until End after yesterday's start
		return starts(local) && tod >= w.Start || starts(local.AddDate(0, 0, -1)) && tod < w.End
	}
}

// QuietFor says whether any of the windows is active for the server at t,
// and whether all the active ones let critical alerts page.
func QuietFor(windows []MaintenanceWindow, serverID string, t time.Time) (quiet, pageCritical bool) {
	pageCritical = true
	for i := range windows {
		if windows[i].Active(serverID, t) {
			quiet = true
			pageCritical = pageCritical && windows[i].PageCritical
		}
	}
	return quiet, quiet && pageCritical
}

// QuietUntil returns when the windows active for the server at t have all
// ended (to the minute, as windows are set), or false when they last more
// than a week (a window on every day, all day).
func QuietUntil(windows []MaintenanceWindow, serverID string, t time.Time) (time.Time, bool) {
	end := t.Truncate(time.Minute)
	for range 8 * 24 * 60 {
		if quiet, _ := QuietFor(windows, serverID, end); !quiet && end.After(t) {
			return end, true
		}
		end = end.Add(time.Minute)
	}
	return time.Time{}, false
}
