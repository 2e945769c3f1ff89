package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

type ingestRequest struct {
	ctx  context.Context
	fn   func(homelabcmd.Tx) error
	err  error
	done chan struct{}
}

// maxIngestBatch bounds how many heartbeats share one transaction.
const maxIngestBatch = 256

// InBatchTx runs fn in a group-committed transaction (see
// homelabcmd.TxStore): a writer takes every request waiting and runs them
// in one transaction, so concurrent heartbeats share one commit.
func (db *DB) InBatchTx(ctx context.Context, fn func(homelabcmd.Tx) error) error {
	req := &ingestRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case db.ingestQueue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.closing:
		return errors.New("store is closing")
	}
	<-req.done // always answered, even if ctx ends: the write may have happened
	return req.err
}

// startIngesters runs the group-commit writers: one for SQLite (it has one
// writer anyway), a few for PostgreSQL.
func (db *DB) startIngesters() {
	db.ingestQueue = make(chan *ingestRequest, 4*maxIngestBatch)
	db.closing = make(chan struct{})
	n := 1
	if db.loc.Engine == Postgres {
		n = 4
	}
	for range n {
		db.ingestWG.Add(1)
		go db.ingestLoop()
	}
}

func (db *DB) ingestLoop() {
	defer db.ingestWG.Done()
	batch := make([]*ingestRequest, 0, maxIngestBatch)
	for {
		select {
		case <-db.closing:
			for {
				select {
				case r := <-db.ingestQueue:
					r.err = errors.New("store is closing")
					close(r.done)
				default:
					return
				}
			}
		case req := <-db.ingestQueue:
			batch = append(batch[:0], req)
		drain:
			for len(batch) < maxIngestBatch {
				select {
				case r := <-db.ingestQueue:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			db.ingestBatch(batch)
		}
	}
}

// ingestBatch stores a batch in one transaction. Heartbeats rarely fail
// (a GUID conflict, a token used for another server), so the batch runs
// optimistically without savepoints, which would cost SQLite a sub-journal
// write per page; if one fails, the batch is rolled back and each heartbeat
// is stored in its own transaction instead.
func (db *DB) ingestBatch(batch []*ingestRequest) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err // the caller gave up before its turn: store nothing
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if len(live) > 1 && db.ingestTogether(live) == nil {
		return
	}
	for _, r := range live {
		r.err = db.inTx(context.Background(), func(tx *Tx) error { return r.fn(tx) })
	}
}

// ingestTogether stores every request in one transaction, or none of them.
func (db *DB) ingestTogether(batch []*ingestRequest) error {
	ctx := context.Background() // one caller's cancel must not abort the others
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range batch {
		if err = r.fn(tx); err != nil {
			return err
		}
	}
	return tx.commit(ctx)
}

// maxClockSkew: a report stamped further ahead than this is taken as "now",
// so an agent with a wrong clock cannot freeze its own current status.
const maxClockSkew = 5 * time.Minute

// SaveHeartbeat stores what a heartbeat reports; see homelabcmd.HeartbeatTx.
func (tx *Tx) SaveHeartbeat(ctx context.Context, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (*homelabcmd.SavedHeartbeat, error) {
	srv, clock, registered, err := matchServer(ctx, tx, hb, meta)
	if err != nil {
		return nil, err
	}
	out := &homelabcmd.SavedHeartbeat{Server: srv, Registered: registered, ReportedAt: utc(hb.Timestamp.Time), Clock: clock}
	if out.ReportedAt.After(tx.now.Add(maxClockSkew)) {
		out.ReportedAt = tx.now
	}
	ts := out.ReportedAt
	if err := updateServerFromHeartbeat(ctx, tx, srv.ID, hb, meta); err != nil {
		return nil, err
	}
	if m := hb.Metrics; m != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO metrics (server_id, timestamp, cpu_percent, memory_percent, memory_total_mb,
			memory_used_mb, disk_percent, disk_total_gb, disk_used_gb, network_rx_bytes, network_tx_bytes, load_1m, load_5m, load_15m, uptime_seconds)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			srv.ID, ts, m.CPUPercent, m.MemoryPercent, m.MemoryTotalMB, m.MemoryUsedMB, m.DiskPercent, m.DiskTotalGB,
			m.DiskUsedGB, m.NetworkRxBytes, m.NetworkTxBytes, m.Load1m, m.Load5m, m.Load15m, m.UptimeSeconds); err != nil {
			return nil, err
		}
	}
	if out.Changes, err = storeServiceReports(ctx, tx, srv.ID, ts, homelabcmd.KindSystemd, hb.Services); err != nil {
		return nil, err
	}
	if hb.Containers != nil {
		units := make([]homelabcmd.ServiceReport, len(hb.Containers))
		for i := range hb.Containers {
			units[i] = hb.Containers[i].Unit()
		}
		changes, err := storeServiceReports(ctx, tx, srv.ID, ts, homelabcmd.KindContainer, units)
		if err != nil {
			return nil, err
		}
		out.Changes = append(out.Changes, changes...)
	}
	if hb.Packages != nil {
		if err := storePackages(ctx, tx, srv.ID, *hb.Packages); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveServerClock stores what the hub knows of the agent's clock.
func (tx *Tx) SaveServerClock(ctx context.Context, serverID string, c homelabcmd.ServerClock) error {
	_, err := tx.ExecContext(ctx, `UPDATE servers SET clock_offset_ms = $1, clock_report_at = $2, clock_skewed = $3 WHERE id = $4`,
		c.OffsetMS, nullTime(c.ReportAt), c.Skewed, serverID)
	return err
}

// matchServer finds the reporting server as the contract orders it: by GUID,
// then by id (adopting the GUID when the server has none), else registers
// it. It enforces that an agent token reports only for its own server.
func matchServer(ctx context.Context, tx *Tx, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) (srv homelabcmd.ServerRef, clock homelabcmd.ServerClock, registered bool, err error) {
	var guid, display sql.NullString
	var inactive bool
	var id string
	found := false
	const cols = `SELECT id, guid, is_inactive, display_name, machine_type, is_paused, clock_offset_ms, clock_report_at, clock_skewed FROM servers WHERE `
	var offset sql.NullInt64
	var reportAt sql.NullTime
	scan := func(r *sql.Row) error {
		return r.Scan(&id, &guid, &inactive, &display, &srv.MachineType, &srv.Paused, &offset, &reportAt, &clock.Skewed)
	}
	defer func() {
		if offset.Valid {
			clock.OffsetMS = &offset.Int64
		}
		clock.ReportAt = timePtr(reportAt)
	}()
	if hb.ServerGUID != nil {
		err = scan(tx.QueryRowContext(ctx, cols+`guid = $1`, *hb.ServerGUID))
		found = err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return srv, clock, false, err
		}
	}
	if !found {
		err = scan(tx.QueryRowContext(ctx, cols+`id = $1`, hb.ServerID))
		found = err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return srv, clock, false, err
		}
		if found && hb.ServerGUID != nil {
			if guid.Valid && guid.String != *hb.ServerGUID {
				return srv, clock, false, homelabcmd.Errorf(homelabcmd.ECONFLICT, "Server '%s' already has a different GUID", id)
			}
			if !guid.Valid {
				if _, err := tx.ExecContext(ctx, `UPDATE servers SET guid = $1 WHERE id = $2`, *hb.ServerGUID, id); err != nil {
					return srv, clock, false, err
				}
			}
		}
	}
	if meta.BoundServerID != "" && (!found || id != meta.BoundServerID) {
		target := hb.ServerID
		if found {
			target = id
		}
		return srv, clock, false, homelabcmd.Errorf(homelabcmd.EFORBIDDEN, "This agent token belongs to server '%s' and cannot report for '%s'", meta.BoundServerID, target)
	}
	// The heartbeat sets the hostname, so it names the server unless a
	// display name does.
	srv.ID, srv.Name = id, hb.Hostname
	if display.Valid && display.String != "" {
		srv.Name = display.String
	}
	if found {
		if inactive {
			return srv, clock, false, homelabcmd.Errorf(homelabcmd.EFORBIDDEN, "Server '%s' is inactive (agent removed). Uninstall the agent.", id)
		}
		return srv, clock, false, nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO servers (id, guid, hostname, status, machine_type, is_paused, is_inactive, last_seen, created_at, updated_at)
		VALUES ($1, $2, $3, 'online', 'server', FALSE, FALSE, $4, $4, $4)`, hb.ServerID, hb.ServerGUID, hb.Hostname, tx.now)
	if err != nil {
		return srv, clock, false, translate(err, "GUID is already registered to another server", "")
	}
	srv = homelabcmd.ServerRef{ID: hb.ServerID, Name: hb.Hostname, MachineType: homelabcmd.MachineServer}
	return srv, clock, true, nil
}

func updateServerFromHeartbeat(ctx context.Context, tx *Tx, id string, hb *homelabcmd.Heartbeat, meta homelabcmd.IngestMeta) error {
	sets := []string{"status = 'online'", "last_seen = $1", "updated_at = $1", "hostname = $2"}
	args := []any{tx.now, hb.Hostname}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, col+" = $"+itoa(len(args)))
	}
	if meta.PeerIP != "" {
		add("ip_address", meta.PeerIP)
	}
	if o := hb.OSInfo; o != nil {
		add("os_distribution", o.Distribution)
		add("os_version", o.Version)
		add("kernel_version", o.Kernel)
		add("architecture", o.Architecture)
	}
	if c := hb.CPUInfo; c != nil {
		add("cpu_model", c.CPUModel)
		add("cpu_cores", c.CPUCores)
		arch := ""
		if hb.OSInfo != nil && hb.OSInfo.Architecture != nil {
			arch = *hb.OSInfo.Architecture
		}
		model := ""
		if c.CPUModel != nil {
			model = *c.CPUModel
		}
		if cat := homelabcmd.InferMachineCategory(model, arch); cat != "" {
			// The operator's choice (source "user") wins over the guess.
			add("machine_category", cat)
			n := itoa(len(args))
			sets[len(sets)-1] = "machine_category = CASE WHEN machine_category_source = 'user' THEN machine_category ELSE $" + n + " END"
			sets = append(sets, "machine_category_source = CASE WHEN machine_category_source = 'user' THEN 'user' ELSE 'auto' END")
		}
	}
	if hb.AgentVersion != nil {
		add("agent_version", *hb.AgentVersion)
	}
	if hb.AgentMode != nil {
		add("agent_mode", *hb.AgentMode)
	}
	if hb.UpdatesAvailable != nil {
		add("updates_available", *hb.UpdatesAvailable)
	}
	if hb.SecurityUpdates != nil {
		add("security_updates", *hb.SecurityUpdates)
	}
	add("capabilities", strings.Join(homelabcmd.EffectiveCapabilities(hb.Capabilities, hb.AgentVersion), ","))
	if hb.Filesystems != nil {
		b, _ := json.Marshal(hb.Filesystems)
		add("filesystems", string(b))
	}
	if hb.NetworkInterfaces != nil {
		b, _ := json.Marshal(hb.NetworkInterfaces)
		add("network_interfaces", string(b))
	}
	args = append(args, id)
	_, err := tx.ExecContext(ctx, `UPDATE servers SET `+strings.Join(sets, ", ")+` WHERE id = $`+itoa(len(args)), args...)
	return err
}

type currentRow struct {
	status    homelabcmd.ServiceStatusValue
	reason    sql.NullString
	detail    sql.NullString
	timestamp time.Time
	sampledAt sql.NullTime
	reported  bool // named in the stored figures (its latest report is there)
}

// storeServiceReports moves current status forward (only when the report is
// at least as new as what is stored) and appends history: every transition,
// every late report, and while the state is unchanged a sample at most every
// DB.HistorySampleEvery (zero: every report). It returns the services whose
// state changed.
//
// What it writes is what changed: a unit's service_current_status row only
// when its state (status, reason, container detail) changes or a history
// sample is due; the figures every report changes (pid, memory, cpu,
// restarts) and the report's time go in the server's one unit_figures row.
// On PostgreSQL two heartbeats of one server never interleave here: both
// update the server row first, so the second waits for the first to commit
// and then (READ COMMITTED) reads what it wrote.
func storeServiceReports(ctx context.Context, tx *Tx, serverID string, ts time.Time, kind homelabcmd.UnitKind, reports []homelabcmd.ServiceReport) ([]homelabcmd.ServiceChange, error) {
	if len(reports) == 0 {
		return nil, nil
	}
	// The same name twice in one heartbeat: the last report wins.
	byName := make(map[string]int, len(reports))
	uniq := make([]homelabcmd.ServiceReport, 0, len(reports))
	for _, r := range reports {
		if i, ok := byName[r.Name]; ok {
			uniq[i] = r
			continue
		}
		byName[r.Name] = len(uniq)
		uniq = append(uniq, r)
	}

	st, err := unitStateOf(ctx, tx, serverID, kind)
	if err != nil {
		return nil, err
	}
	// The next state: the rows this report writes replace their entries.
	next := &unitState{version: rand.Int64N(math.MaxInt64) + 1, figsAt: st.figsAt, hasFigs: st.hasFigs, rows: make(map[string]currentRow, len(st.rows))}
	maps.Copy(next.rows, st.rows)

	// A report older than the stored figures is late as a whole: they stay.
	newest := !st.hasFigs || !ts.Before(st.figsAt)
	every := tx.db.HistorySampleEvery
	histArgs := make([]any, 0, histCols*len(uniq))
	var curArgs []any
	var changes []homelabcmd.ServiceChange
	for _, r := range uniq {
		old, seen := st.rows[r.Name]
		at := old.timestamp
		if old.reported && st.figsAt.After(at) {
			at = st.figsAt
		}
		late := seen && ts.Before(at)
		changed := !seen || old.status != r.Status
		// The newest stored report again: the hub stored it but the agent
		// never got the answer (a hub killed or a connection lost after the
		// commit), so its outbox sends it again. History has it already.
		replay := seen && !changed && ts.Equal(at)
		sample := !replay && (every == 0 || late || changed || !old.sampledAt.Valid || ts.Sub(old.sampledAt.Time) >= every)
		if sample {
			histArgs = append(histArgs, serverID, kind, r.Name, r.Status, r.StatusReason, r.PID, r.MemoryMB, r.CPUPercent, ts)
		}
		if late {
			continue // a late or replayed report: history only
		}
		if changed {
			changes = append(changes, homelabcmd.ServiceChange{ServiceName: r.Name, Kind: kind, From: old.status, To: r.Status, Restarts: r.Restarts})
		}
		var detail sql.NullString
		if r.Container != nil {
			b, _ := json.Marshal(r.Container)
			detail = sql.NullString{String: string(b), Valid: true}
		}
		if !sample && newest && old.reason == nullString(r.StatusReason) && old.detail == detail {
			continue // the state is unchanged: the figures row says the rest
		}
		sampledAt := any(ts)
		if !sample {
			sampledAt = old.sampledAt.Time
		}
		curArgs = append(curArgs, serverID, kind, r.Name, r.Status, r.StatusReason, r.PID, r.MemoryMB, r.CPUPercent, r.Restarts, ts, tx.now, sampledAt, detail)
		next.rows[r.Name] = currentRow{status: r.Status, reason: nullString(r.StatusReason), detail: detail, timestamp: ts,
			sampledAt: sql.NullTime{Time: sampledAt.(time.Time), Valid: true}, reported: old.reported || newest}
	}
	if newest {
		units := make(map[string]unitFigure, len(uniq))
		for i := range uniq {
			units[uniq[i].Name] = figureOf(&uniq[i])
		}
		// A unit this report no longer names keeps the figures and time of
		// the last report that did, in its own row (rare: the stored
		// figures are read only then).
		var figs *unitFigures
		for name, c := range next.rows {
			if _, ok := units[name]; ok || !c.reported {
				continue
			}
			if figs == nil {
				if figs, err = figuresOf(ctx, tx, serverID, kind); err != nil {
					return nil, err
				}
			}
			if f, ok := figs.units[name]; ok {
				if _, err := tx.ExecContext(ctx, `UPDATE service_current_status SET pid = $1, memory_mb = $2, cpu_percent = $3, restarts = $4, timestamp = $5
					WHERE server_id = $6 AND kind = $7 AND service_name = $8 AND timestamp <= $5`,
					f.PID, f.MemoryMB, f.CPUPercent, f.Restarts, figs.reportedAt, serverID, kind, name); err != nil {
					return nil, err
				}
				if !figs.reportedAt.Before(c.timestamp) {
					c.timestamp = figs.reportedAt.UTC()
				}
			}
			c.reported = false
			next.rows[name] = c
		}
		for name := range units {
			if c, ok := next.rows[name]; ok && !c.reported {
				c.reported = true // named again, unchanged: its time is figsAt
				next.rows[name] = c
			}
		}
		next.figsAt, next.hasFigs = ts, true
		if err := saveFigures(ctx, tx, serverID, kind, ts, units, next.version); err != nil {
			return nil, err
		}
	} else if _, err := tx.ExecContext(ctx, `UPDATE unit_figures SET version = $1 WHERE server_id = $2 AND kind = $3`, next.version, serverID, kind); err != nil {
		return nil, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO service_status (server_id, kind, service_name, status, status_reason, pid, memory_mb, cpu_percent, timestamp)
			VALUES `, "", histCols, histArgs); err != nil {
		return nil, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO service_current_status (server_id, kind, service_name, status, status_reason, pid,
			memory_mb, cpu_percent, restarts, timestamp, updated_at, sampled_at, detail) VALUES `, `
			ON CONFLICT (server_id, kind, service_name) DO UPDATE SET status = excluded.status, status_reason = excluded.status_reason, detail = excluded.detail,
			pid = excluded.pid, memory_mb = excluded.memory_mb, cpu_percent = excluded.cpu_percent, restarts = excluded.restarts,
			timestamp = excluded.timestamp, updated_at = excluded.updated_at, sampled_at = excluded.sampled_at
			WHERE service_current_status.timestamp <= excluded.timestamp`, curCols, curArgs); err != nil {
		return nil, err
	}
	tx.db.units.put(figuresKey{serverID, kind}, next)
	return changes, nil
}

// Columns of the two service inserts.
const (
	histCols = 9
	curCols  = 13
)

// maxInsertVars bounds the parameters of one statement: SQLite refuses more
// than 32,766 ("too many SQL variables"), PostgreSQL more than 65,535.
const maxInsertVars = 32000

// insertRows runs head + "(…), (…)" + tail for args, cols values a row, in
// as many statements as the parameter limit needs.
func insertRows(ctx context.Context, tx *Tx, head, tail string, cols int, args []any) error {
	perStmt := (maxInsertVars / cols) * cols
	for len(args) > 0 {
		n := min(len(args), perStmt)
		rows := make([]string, 0, n/cols)
		for i := 0; i < n; i += cols {
			rows = append(rows, placeholders(i, cols))
		}
		if _, err := tx.ExecContext(ctx, head+strings.Join(rows, ", ")+tail, args[:n]...); err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// placeholders returns "($n+1, …, $n+k)".
func placeholders(n, k int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := 1; i <= k; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(itoa(n + i))
	}
	b.WriteByte(')')
	return b.String()
}
