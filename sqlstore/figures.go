package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// unitFigure is what a report says of a unit that changes with nearly every
// heartbeat. These figures live in unit_figures, one row per server and unit
// kind rewritten by each heartbeat, so that service_current_status rows are
// written only when a unit's state changes (see storeServiceReports).
type unitFigure struct {
	PID        *int     `json:"p,omitempty"`
	MemoryMB   *float64 `json:"m,omitempty"`
	CPUPercent *float64 `json:"c,omitempty"`
	Restarts   *int     `json:"r,omitempty"`
}

func figureOf(r *homelabcmd.ServiceReport) unitFigure {
	return unitFigure{PID: r.PID, MemoryMB: r.MemoryMB, CPUPercent: r.CPUPercent, Restarts: r.Restarts}
}

// unitFigures is one unit_figures row: the latest report of a server's units
// of one kind, by unit name.
type unitFigures struct {
	reportedAt time.Time
	units      map[string]unitFigure
}

// apply overlays the latest report's figures on a unit's current status read
// from service_current_status; a unit the latest report did not name keeps
// its row's figures (written when it was last reported).
func (f *unitFigures) apply(name string, cur *homelabcmd.CurrentStatus) {
	if f == nil {
		return
	}
	u, ok := f.units[name]
	if !ok {
		return
	}
	cur.PID, cur.MemoryMB, cur.CPUPercent, cur.Restarts = u.PID, u.MemoryMB, u.CPUPercent, u.Restarts
	cur.LastSeen = f.reportedAt.UTC()
}

// lastSeen is the time of the latest report naming the unit, if it is in f.
func (f *unitFigures) lastSeen(name string) (time.Time, bool) {
	if f == nil {
		return time.Time{}, false
	}
	if _, ok := f.units[name]; !ok {
		return time.Time{}, false
	}
	return f.reportedAt.UTC(), true
}

type figuresKey struct {
	serverID string
	kind     homelabcmd.UnitKind
}

// loadFigures reads the unit_figures rows a WHERE clause selects (empty:
// every row).
func loadFigures(ctx context.Context, q querier, where string, args ...any) (map[figuresKey]*unitFigures, error) {
	rows, err := q.QueryContext(ctx, `SELECT server_id, kind, reported_at, units FROM unit_figures`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[figuresKey]*unitFigures{}
	for rows.Next() {
		var k figuresKey
		var units string
		f := &unitFigures{}
		if err := rows.Scan(&k.serverID, &k.kind, &f.reportedAt, &units); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(units), &f.units); err != nil {
			return nil, err
		}
		out[k] = f
	}
	return out, rows.Err()
}

// figuresOf reads the figures of one server's units of one kind (nil when
// none was reported).
func figuresOf(ctx context.Context, q querier, serverID string, kind homelabcmd.UnitKind) (*unitFigures, error) {
	m, err := loadFigures(ctx, q, ` WHERE server_id = $1 AND kind = $2`, serverID, kind)
	return m[figuresKey{serverID, kind}], err
}

// saveFigures replaces the figures of a server's units of one kind and
// sets the version of their state.
func saveFigures(ctx context.Context, tx *Tx, serverID string, kind homelabcmd.UnitKind, ts time.Time, units map[string]unitFigure, version int64) error {
	b := appendFigures(make([]byte, 0, 64*len(units)), units)
	_, err := tx.ExecContext(ctx, `INSERT INTO unit_figures (server_id, kind, reported_at, units, version) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (server_id, kind) DO UPDATE SET reported_at = excluded.reported_at, units = excluded.units, version = excluded.version`,
		serverID, kind, ts, string(b), version)
	return err
}

// appendFigures encodes units as json.Marshal would (names sorted; a
// heartbeat's 20 units cost it a sixth of the figures' write otherwise).
func appendFigures(b []byte, units map[string]unitFigure) []byte {
	names := slices.Sorted(maps.Keys(units))
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ":{"...)
		u := units[name]
		sep := ""
		if u.PID != nil {
			b = strconv.AppendInt(append(b, `"p":`...), int64(*u.PID), 10)
			sep = ","
		}
		if u.MemoryMB != nil {
			b = strconv.AppendFloat(append(b, sep+`"m":`...), *u.MemoryMB, 'g', -1, 64)
			sep = ","
		}
		if u.CPUPercent != nil {
			b = strconv.AppendFloat(append(b, sep+`"c":`...), *u.CPUPercent, 'g', -1, 64)
			sep = ","
		}
		if u.Restarts != nil {
			b = strconv.AppendInt(append(b, sep+`"r":`...), int64(*u.Restarts), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendJSONString quotes s for JSON: plain printable ASCII directly, the
// rest (rare in unit names) through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// unitState is what the ingest needs to know of a server's units of one
// kind: their current-status rows and the latest figures.
type unitState struct {
	version int64 // of unit_figures when this was written or read
	// figsAt is the time of the stored figures (hasFigs: there are some);
	// the figures themselves are not kept, to keep the cache small.
	figsAt  time.Time
	hasFigs bool
	rows    map[string]currentRow
}

// maxCachedUnitStates bounds the cache: about 5 KB a server with 20
// units (25 MB of heap for 5,000 servers, measured); past it an arbitrary
// entry goes and that server's state is read again.
const maxCachedUnitStates = 10000

// unitCache keeps the unit state each heartbeat wrote, so the next
// heartbeat of the server reads one integer (the version) instead of its 20
// rows and figures. It is right with several hubs on one PostgreSQL and
// after a rolled-back batch: a state is used only while the version it
// wrote is the one stored.
type unitCache struct {
	mu sync.Mutex
	m  map[figuresKey]*unitState
}

func (c *unitCache) get(k figuresKey) *unitState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

// put stores st, which is never changed afterwards.
func (c *unitCache) put(k figuresKey, st *unitState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[figuresKey]*unitState{}
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= maxCachedUnitStates {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = st
}

// unitStateOf returns the stored state of a server's units of one kind:
// the cached one if its version is still stored, else read in full.
func unitStateOf(ctx context.Context, tx *Tx, serverID string, kind homelabcmd.UnitKind) (*unitState, error) {
	k := figuresKey{serverID, kind}
	var version int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM unit_figures WHERE server_id = $1 AND kind = $2`, serverID, kind).Scan(&version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if st := tx.db.units.get(k); st != nil && err == nil && st.version == version {
		return st, nil
	}
	st := &unitState{rows: map[string]currentRow{}}
	var figs *unitFigures
	if err == nil {
		if figs, err = figuresOf(ctx, tx, serverID, kind); err != nil {
			return nil, err
		}
	}
	if figs != nil {
		st.figsAt, st.hasFigs = figs.reportedAt.UTC(), true
	}
	rows, err := tx.QueryContext(ctx, `SELECT service_name, status, status_reason, detail, timestamp, sampled_at FROM service_current_status
		WHERE server_id = $1 AND kind = $2`, serverID, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var c currentRow
		if err := rows.Scan(&name, &c.status, &c.reason, &c.detail, &c.timestamp, &c.sampledAt); err != nil {
			return nil, err
		}
		c.timestamp = c.timestamp.UTC()
		_, c.reported = figs.lastSeen(name)
		st.rows[name] = c
	}
	return st, rows.Err()
}

// nullString is s as stored (NULL for nil), to compare with what was read.
func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}
