package agentless

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Scheduled scans: a host scanned every so often with the default
// credentials by the hub's clock job (RunDueScans); each run is a scan in
// the history like one an operator started. The schedules are one stored
// setting (few hosts; at most MaxScanSchedules).

// MaxScanSchedules bounds the scheduled hosts.
const MaxScanSchedules = 200

// ScanSchedule scans one host every IntervalMinutes.
type ScanSchedule struct {
	Hostname        string     `json:"hostname"`
	Port            int        `json:"port"`
	Username        string     `json:"username"`
	ScanType        string     `json:"scan_type"`
	IntervalMinutes int        `json:"interval_minutes"`
	Enabled         bool       `json:"enabled"`
	LastRunAt       *time.Time `json:"last_run_at"`
	LastScanID      *int64     `json:"last_scan_id"`
	LastError       *string    `json:"last_error"`
	CreatedBy       string     `json:"created_by"`
}

// Key is the schedule's host:port, how routes name it.
func (c ScanSchedule) Key() string { return net.JoinHostPort(c.Hostname, strconv.Itoa(c.Port)) }

// NextRunAt is when the schedule is due (now when it never ran).
func (c ScanSchedule) NextRunAt() *time.Time {
	if !c.Enabled {
		return nil
	}
	if c.LastRunAt == nil {
		t := time.Time{}
		return &t
	}
	t := c.LastRunAt.Add(time.Duration(c.IntervalMinutes) * time.Minute)
	return &t
}

// ScanScheduleRequest creates or changes the schedule of a host.
type ScanScheduleRequest struct {
	ScanRequest
	IntervalMinutes int   `json:"interval_minutes"`
	Enabled         *bool `json:"enabled"`
}

// scheduleMu serialises changes of the stored list on this hub.
var scheduleMu sync.Mutex

// ScanSchedules returns the schedules, ordered by host.
func (s *Service) ScanSchedules(ctx context.Context) ([]ScanSchedule, error) {
	raw, err := s.store.RemoteSetting(ctx, "scan_schedules")
	if err != nil || raw == "" {
		return []ScanSchedule{}, err
	}
	var out []ScanSchedule
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b ScanSchedule) int {
		if a.Key() < b.Key() {
			return -1
		}
		if a.Key() > b.Key() {
			return 1
		}
		return 0
	})
	return out, nil
}

func (s *Service) putSchedules(ctx context.Context, list []ScanSchedule) error {
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return s.store.PutRemoteSetting(ctx, "scan_schedules", string(b))
}

// SetScanSchedule creates or replaces the schedule of r's host (port and
// user default as for a scan). EINVALID: interval 15 min – 7 days.
func (s *Service) SetScanSchedule(ctx context.Context, actor string, r ScanScheduleRequest) (*ScanSchedule, error) {
	if r.ScanType == "" {
		r.ScanType = "quick"
	}
	if r.ScanType != "quick" && r.ScanType != "full" {
		return nil, homelabcmd.FieldError("scan_type", "scan_type must be quick or full")
	}
	if r.IntervalMinutes < 15 || r.IntervalMinutes > 7*24*60 {
		return nil, homelabcmd.FieldError("interval_minutes", "interval_minutes must be 15-10080")
	}
	t, err := s.target(ctx, r.Hostname, r.Port, r.Username)
	if err != nil {
		return nil, err
	}
	scheduleMu.Lock()
	defer scheduleMu.Unlock()
	list, err := s.ScanSchedules(ctx)
	if err != nil {
		return nil, err
	}
	c := ScanSchedule{Hostname: t.Host, Port: t.Port, Username: t.User, ScanType: r.ScanType, IntervalMinutes: r.IntervalMinutes,
		Enabled: r.Enabled == nil || *r.Enabled, CreatedBy: actor}
	if i := slices.IndexFunc(list, func(o ScanSchedule) bool { return o.Key() == c.Key() }); i >= 0 {
		c.LastRunAt, c.LastScanID, c.LastError = list[i].LastRunAt, list[i].LastScanID, list[i].LastError
		list[i] = c
	} else {
		if len(list) >= MaxScanSchedules {
			return nil, homelabcmd.Errorf(homelabcmd.ECONFLICT, "At most %d hosts can be scanned on a schedule", MaxScanSchedules)
		}
		list = append(list, c)
	}
	if err := s.putSchedules(ctx, list); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "scan_schedule_set", Target: c.Key(),
		Detail: c.ScanType + " every " + strconv.Itoa(c.IntervalMinutes) + " min, enabled " + strconv.FormatBool(c.Enabled)})
	return &c, nil
}

// findSchedule returns the schedules and the index of key's (-1: none).
// The caller holds scheduleMu.
func (s *Service) findSchedule(ctx context.Context, key string) ([]ScanSchedule, int, error) {
	list, err := s.ScanSchedules(ctx)
	if err != nil {
		return nil, -1, err
	}
	return list, slices.IndexFunc(list, func(o ScanSchedule) bool { return o.Key() == key }), nil
}

// DeleteScanSchedule removes the schedule of host:port. ENOTFOUND.
func (s *Service) DeleteScanSchedule(ctx context.Context, actor, key string) error {
	scheduleMu.Lock()
	defer scheduleMu.Unlock()
	list, i, err := s.findSchedule(ctx, key)
	if err != nil {
		return err
	}
	if i < 0 {
		return homelabcmd.Errorf(homelabcmd.ENOTFOUND, "No scan schedule for '%s'", key)
	}
	if err := s.putSchedules(ctx, slices.Delete(list, i, i+1)); err != nil {
		return err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "scan_schedule_deleted", Target: key})
	return nil
}

// RunDueScans scans the hosts whose schedule is due at now, one after
// another (the hub's clock job); each run is kept in the scan history and
// noted on its schedule. It returns how many ran.
func (s *Service) RunDueScans(ctx context.Context, now time.Time) (int, error) {
	list, err := s.ScanSchedules(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		if next := c.NextRunAt(); next == nil || next.After(now) {
			continue
		}
		t, err := s.target(ctx, c.Hostname, c.Port, c.Username)
		var msg string
		var id int64
		if err == nil {
			scan := &homelabcmd.Scan{Hostname: t.Host, Port: t.Port, Username: t.User, ScanType: c.ScanType, RequestedBy: "schedule"}
			if err = s.store.CreateScan(ctx, scan); err == nil {
				id = scan.ID
				msg = s.finishScan(ctx, "schedule", scan.ID, t, c.ScanType)
			}
		}
		if err != nil {
			msg = homelabcmd.ErrorMessage(err)
		}
		n++
		if err := s.noteRun(ctx, c.Key(), now, id, msg); err != nil {
			return n, err
		}
	}
	return n, nil
}

// noteRun records a scheduled run on its schedule (if still there).
func (s *Service) noteRun(ctx context.Context, key string, at time.Time, scanID int64, msg string) error {
	scheduleMu.Lock()
	defer scheduleMu.Unlock()
	list, i, err := s.findSchedule(ctx, key)
	if err != nil {
		return err
	}
	if i < 0 {
		return nil
	}
	at = at.UTC()
	list[i].LastRunAt, list[i].LastError, list[i].LastScanID = &at, nil, nil
	if msg != "" {
		list[i].LastError = &msg
	}
	if scanID != 0 {
		list[i].LastScanID = &scanID
	}
	return s.putSchedules(ctx, list)
}
