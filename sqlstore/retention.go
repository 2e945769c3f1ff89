package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Retention says how long each tier of data is kept.
type Retention struct {
	Raw time.Duration // raw metrics and every service status sample
	// History is how long service status history is kept; past Raw it is
	// thinned to its changes and one sample an hour (see thinHistory).
	History time.Duration
	Hourly  time.Duration // metrics_hourly
	Daily   time.Duration // metrics_daily
}

// DefaultRetention: raw 7 days (what the charts read raw: 24 h, and 7 d
// for the export), service history 30 days (the 30-day uptime), hourly 1
// year, daily 5 years.
var DefaultRetention = Retention{Raw: 7 * 24 * time.Hour, History: 30 * 24 * time.Hour, Hourly: 365 * 24 * time.Hour, Daily: 5 * 365 * 24 * time.Hour}

// pruneBatch bounds one DELETE and prunePause spaces them, so a prune never
// holds the single writer for long and heartbeats are stored in between.
// Measured on SQLite at 500 heartbeats/s (docs/performance.md): ingest p99
// 12 ms with no prune; 294 ms while pruning in back-to-back batches of
// 2,000; 38 ms with these values. A big backlog then takes minutes, which a
// background job can afford.
const (
	pruneBatch = 200
	prunePause = 50 * time.Millisecond
)

// rollupRedo recomputes the last rolled-up buckets on every run, so a late
// (replayed) heartbeat still lands in its hour.
const rollupRedo = 6 * time.Hour

// bucketExpr truncates the timestamp column to an hour or a day in UTC, in
// each engine's own dialect (the one place the two differ outside DDL).
func (db *DB) bucketExpr(unit string) string {
	if db.loc.Engine == Postgres {
		return "(date_trunc('" + unit + "', timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
	}
	if unit == "hour" {
		return "strftime('%Y-%m-%d %H:00:00+00:00', timestamp)"
	}
	return "strftime('%Y-%m-%d 00:00:00+00:00', timestamp)"
}

// configKeyRollupSeen is the highest metrics id the last rollup looked at:
// rows above it arrived since, and a late one (an agent's outbox replayed
// after days offline) names an old bucket that must be computed again.
const configKeyRollupSeen = "rollup_metrics_seen_id"

// rollupSeenSlack re-reads this many ids below the mark: on PostgreSQL a
// transaction can commit a lower id after a higher one was read.
const rollupSeenSlack = 10000

// configKeyPrunedBefore is the cut of the last prune of raw metrics:
// buckets before it have lost raw rows and are never recomputed.
const configKeyPrunedBefore = "metrics_pruned_before"

// Rollup computes hourly and daily min/avg/max of CPU, memory and disk for
// every complete bucket since the last run (and the few before it), and
// again for every older bucket that received a late sample since the last
// run. It must run before Prune removes the raw rows it reads.
func (db *DB) Rollup(ctx context.Context) error {
	now := db.now()
	seen, late, err := db.lateBuckets(ctx, now.Add(-rollupRedo).Truncate(time.Hour))
	if err != nil {
		return err
	}
	var prunedBefore time.Time
	if v, ok, err := db.GetConfig(ctx, configKeyPrunedBefore); err != nil {
		return err
	} else if cut, perr := time.Parse(time.RFC3339Nano, v); ok && perr == nil {
		prunedBefore = cut
	}
	for _, t := range []struct {
		table, unit, key string
		size             time.Duration
	}{{"metrics_hourly", "hour", "rollup_hourly_until", time.Hour}, {"metrics_daily", "day", "rollup_daily_until", 24 * time.Hour}} {
		until := now.Truncate(t.size) // only complete buckets
		from := until.Add(-DefaultRetention.History)
		if v, ok, err := db.GetConfig(ctx, t.key); err != nil {
			return err
		} else if ok {
			if done, err := time.Parse(time.RFC3339, v); err == nil && done.Add(-rollupRedo).After(from) {
				from = done.Add(-rollupRedo).Truncate(t.size)
			}
		}
		// Late buckets, each once per tier (several hours share a day).
		redo := map[time.Time]bool{}
		for _, h := range late {
			if b := h.Truncate(t.size); b.Before(from) && b.Add(t.size).Compare(until) <= 0 && !b.Before(prunedBefore) {
				redo[b] = true
			}
		}
		if !from.Before(until) && len(redo) == 0 {
			continue
		}
		b := db.bucketExpr(t.unit)
		err := db.inTx(ctx, func(tx *Tx) error {
			for bucket := range redo {
				if err := rollupRange(ctx, tx, t.table, b, bucket, bucket.Add(t.size)); err != nil {
					return err
				}
			}
			if from.Before(until) {
				if err := rollupRange(ctx, tx, t.table, b, from, until); err != nil {
					return err
				}
			}
			if !from.Before(until) {
				return nil
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO config (key, value, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, t.key, until.Format(time.RFC3339), tx.now)
			return err
		})
		if err != nil {
			return err
		}
	}
	return db.SetConfig(ctx, configKeyRollupSeen, strconv.FormatInt(seen, 10))
}

// rollupRange (re)computes the buckets of table in [from, until).
func rollupRange(ctx context.Context, tx *Tx, table, bucket string, from, until time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (server_id, timestamp, cpu_avg, cpu_min, cpu_max,
		memory_avg, memory_min, memory_max, disk_avg, disk_min, disk_max, sample_count)
		SELECT server_id, `+bucket+`, AVG(cpu_percent), MIN(cpu_percent), MAX(cpu_percent),
			AVG(memory_percent), MIN(memory_percent), MAX(memory_percent),
			AVG(disk_percent), MIN(disk_percent), MAX(disk_percent), COUNT(*)
		FROM metrics WHERE timestamp >= $1 AND timestamp < $2 GROUP BY server_id, `+bucket+`
		ON CONFLICT (server_id, timestamp) DO UPDATE SET cpu_avg = excluded.cpu_avg, cpu_min = excluded.cpu_min,
			cpu_max = excluded.cpu_max, memory_avg = excluded.memory_avg, memory_min = excluded.memory_min,
			memory_max = excluded.memory_max, disk_avg = excluded.disk_avg, disk_min = excluded.disk_min,
			disk_max = excluded.disk_max, sample_count = excluded.sample_count`, from, until)
	return err
}

// lateBuckets returns the highest metrics id now, and the distinct hours
// (UTC) before redoFrom of the rows that arrived since the last rollup:
// the ids above the stored mark, which the primary key finds without a scan.
func (db *DB) lateBuckets(ctx context.Context, redoFrom time.Time) (int64, []time.Time, error) {
	var pruned time.Time
	var mark int64
	v, marked, err := db.GetConfig(ctx, configKeyRollupSeen)
	if err != nil {
		return 0, nil, err
	} else if marked {
		mark, _ = strconv.ParseInt(v, 10, 64)
	}
	var top sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MAX(id) FROM metrics`).Scan(&top); err != nil {
		return 0, nil, err
	}
	if !top.Valid || top.Int64 <= mark || !marked {
		// First run: the regular window covers what exists; start the mark.
		return max(mark, top.Int64), nil, nil
	}
	// A bucket whose raw rows were partly pruned cannot be recomputed.
	if v, ok, err := db.GetConfig(ctx, configKeyPrunedBefore); err != nil {
		return 0, nil, err
	} else if cut, perr := time.Parse(time.RFC3339Nano, v); ok && perr == nil {
		pruned = cut
	}
	rows, err := db.read.QueryContext(ctx, `SELECT timestamp FROM metrics WHERE id > $1 AND id <= $2 AND timestamp < $3`,
		max(0, mark-rollupSeenSlack), top.Int64, redoFrom)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	hours := map[time.Time]bool{}
	for rows.Next() {
		var ts time.Time
		if err := rows.Scan(&ts); err != nil {
			return 0, nil, err
		}
		if h := ts.UTC().Truncate(time.Hour); !h.Before(pruned) {
			hours[h] = true
		}
	}
	out := make([]time.Time, 0, len(hours))
	for h := range hours {
		out = append(out, h)
	}
	return top.Int64, out, rows.Err()
}

// CheckResultsKept caps how long check results are kept (raw retention
// if shorter): one row per probe per agent, 72,000 a day for 50 checks at
// 60 s, is the fastest-growing table.
const CheckResultsKept = 7 * 24 * time.Hour

// configKeyHistoryThinned is the cut of the last thinning of service
// history: older samples are already thinned.
const configKeyHistoryThinned = "history_thinned_before"

// Prune deletes data past its retention in small batches. Raw metrics are
// only deleted once rolled up; service history older than r.Raw is thinned
// to its changes and one sample an hour, and deleted after r.History. It
// returns the rows removed.
func (db *DB) Prune(ctx context.Context, r Retention) (int64, error) {
	now := db.now()
	if r.History < r.Raw {
		r.History = r.Raw
	}
	rawCut := now.Add(-r.Raw)
	// Both rollups read raw rows: keep what either has not read yet.
	for _, key := range []string{"rollup_hourly_until", "rollup_daily_until"} {
		if v, ok, err := db.GetConfig(ctx, key); err != nil {
			return 0, err
		} else if done, perr := time.Parse(time.RFC3339, v); !ok || perr != nil {
			rawCut = time.Time{} // never rolled up: keep raw metrics
			break
		} else if done.Before(rawCut) {
			rawCut = done
		}
	}
	if !rawCut.IsZero() {
		if err := db.SetConfig(ctx, configKeyPrunedBefore, rawCut.UTC().Format(time.RFC3339Nano)); err != nil {
			return 0, err
		}
	}
	servers, err := db.serverIDs(ctx)
	if err != nil {
		return 0, err
	}
	p := pruner{db: db}
	// Per server, through the (server_id, timestamp) indices the tables
	// already have, rather than a time index that would cost every row space.
	for _, t := range []struct {
		table string
		cut   time.Time
	}{{"metrics", rawCut}, {"check_results", now.Add(-min(r.Raw, CheckResultsKept))}, {"metrics_hourly", now.Add(-r.Hourly)}, {"metrics_daily", now.Add(-r.Daily)}} {
		if t.cut.IsZero() {
			continue
		}
		for _, server := range servers {
			if err := p.run(ctx, `DELETE FROM `+t.table+` WHERE id IN (SELECT id FROM `+t.table+
				` WHERE server_id = $1 AND timestamp < $2 LIMIT `+itoa(pruneBatch)+`)`, server, t.cut); err != nil {
				return p.total, err
			}
		}
	}
	if err := db.pruneHistory(ctx, &p, servers, now.Add(-r.History), now.Add(-r.Raw)); err != nil {
		return p.total, err
	}
	return p.total, ctx.Err()
}

// pruner runs batched deletes, each in its own transaction, pausing
// prunePause after every pruneBatch rows so heartbeats get the writer.
type pruner struct {
	db           *DB
	total, since int64
}

// run repeats the batch delete q (which deletes at most pruneBatch rows)
// until it deletes fewer.
func (p *pruner) run(ctx context.Context, q string, args ...any) error {
	for {
		var n int64
		err := p.db.inTx(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return err
		}
		p.total += n
		p.since += n
		if p.since >= pruneBatch {
			p.since = 0
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(prunePause):
			}
		}
		if n < pruneBatch {
			return nil
		}
	}
}

// thinLookBack is how far before the thinning window a service's previous
// sample is looked for, to tell whether the window's first sample is a
// change: a thinned history keeps a sample an hour.
const thinLookBack = 2 * time.Hour

// pruneHistory deletes service history older than cut and thins the
// samples in [max(cut, the last thinning), thinCut) to the rows the
// history is read for: every change of status, reason or pid (the
// timeline, uptime and restarts) and the first sample of each hour (that
// the service was still being watched). Both go service by service through
// the history's one index (server_id, service_name, timestamp).
func (db *DB) pruneHistory(ctx context.Context, p *pruner, servers []string, cut, thinCut time.Time) error {
	from := cut
	if v, ok, err := db.GetConfig(ctx, configKeyHistoryThinned); err != nil {
		return err
	} else if done, perr := time.Parse(time.RFC3339Nano, v); ok && perr == nil && done.After(from) {
		from = done
	}
	hour := db.bucketExpr("hour")
	thin := `DELETE FROM service_status WHERE id IN (SELECT id FROM (
			SELECT id, timestamp, status, status_reason, pid,
				LAG(status) OVER w AS prev_status, LAG(status_reason) OVER w AS prev_reason, LAG(pid) OVER w AS prev_pid,
				ROW_NUMBER() OVER (PARTITION BY kind, ` + hour + ` ORDER BY timestamp, id) AS nth
			FROM service_status WHERE server_id = $1 AND service_name = $2 AND timestamp >= $3 AND timestamp < $5
			WINDOW w AS (PARTITION BY kind ORDER BY timestamp, id)) AS samples
		WHERE timestamp >= $4 AND nth > 1 AND status = prev_status
			AND status_reason IS NOT DISTINCT FROM prev_reason AND pid IS NOT DISTINCT FROM prev_pid
		LIMIT ` + itoa(pruneBatch) + `)`
	for _, server := range servers {
		names, err := db.historyNames(ctx, server)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := p.run(ctx, `DELETE FROM service_status WHERE id IN (SELECT id FROM service_status
				WHERE server_id = $1 AND service_name = $2 AND timestamp < $3 LIMIT `+itoa(pruneBatch)+`)`, server, name, cut); err != nil {
				return err
			}
			if from.Before(thinCut) {
				if err := p.run(ctx, thin, server, name, from.Add(-thinLookBack), from, thinCut); err != nil {
					return err
				}
			}
		}
	}
	if !from.Before(thinCut) {
		return nil
	}
	return db.SetConfig(ctx, configKeyHistoryThinned, thinCut.UTC().Format(time.RFC3339Nano))
}

// historyNames lists the service names in a server's history, each once,
// by skipping through the index rather than reading every row.
func (db *DB) historyNames(ctx context.Context, server string) ([]string, error) {
	return columnOf[string](ctx, db.read, `WITH RECURSIVE names (name) AS (
			SELECT MIN(service_name) FROM service_status WHERE server_id = $1
			UNION ALL
			SELECT (SELECT MIN(service_name) FROM service_status WHERE server_id = $1 AND service_name > names.name)
			FROM names WHERE names.name IS NOT NULL)
		SELECT name FROM names WHERE name IS NOT NULL`, server)
}

// RunExclusive runs fn unless another hub on the same PostgreSQL is running
// the job of that name; on SQLite (one hub per file) it always runs. It
// reports whether fn ran. The lock is a session advisory lock, released
// when fn returns or the hub dies, so another hub carries on.
func (db *DB) RunExclusive(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error) {
	if db.loc.Engine != Postgres {
		return true, fn(ctx)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// Advisory locks are server-wide: key them by database and schema too,
	// so two installations on one PostgreSQL server do not take turns.
	var scope string
	if err := conn.QueryRowContext(ctx, `SELECT current_database() || '.' || current_schema()`).Scan(&scope); err != nil {
		return false, err
	}
	h := fnv.New64a()
	h.Write([]byte("homelabcmd:" + scope + ":" + name))
	key := int64(h.Sum64() >> 1)
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil || !got {
		return false, err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
	return true, fn(ctx)
}

// ServiceUptime returns the share of time (0-100) a service reported
// running in [since, its latest report], from its history transitions, or
// nil when nothing is known for the window.
func (db *DB) ServiceUptime(ctx context.Context, serverID, name string, since time.Time) (*float64, error) {
	var end time.Time
	err := db.read.QueryRowContext(ctx, `SELECT timestamp FROM service_current_status WHERE server_id = $1 AND kind = 'systemd' AND service_name = $2`, serverID, name).Scan(&end)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	figs, err := figuresOf(ctx, db.read, serverID, homelabcmd.KindSystemd)
	if err != nil {
		return nil, err
	}
	if at, ok := figs.lastSeen(name); ok && at.After(end) {
		end = at
	}
	// The state at the window's start is the last sample before it.
	rows, err := db.read.QueryContext(ctx, `SELECT status, timestamp FROM (
			SELECT status, timestamp FROM service_status WHERE server_id = $1 AND kind = 'systemd' AND service_name = $2 AND timestamp < $3
			ORDER BY timestamp DESC LIMIT 1) AS before_window
		UNION ALL
		SELECT status, timestamp FROM service_status WHERE server_id = $1 AND kind = 'systemd' AND service_name = $2 AND timestamp >= $3
		ORDER BY timestamp`, serverID, name, utc(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var running, observed time.Duration
	var prevStatus homelabcmd.ServiceStatusValue
	var prev time.Time
	first := true
	for rows.Next() {
		var st homelabcmd.ServiceStatusValue
		var ts time.Time
		if err := rows.Scan(&st, &ts); err != nil {
			return nil, err
		}
		if ts.Before(since) {
			ts = since
		}
		if !first {
			span := ts.Sub(prev)
			observed += span
			if prevStatus == homelabcmd.StatusRunning {
				running += span
			}
		}
		prevStatus, prev, first = st, ts, false
	}
	if err := rows.Err(); err != nil || first {
		return nil, err
	}
	if end.After(prev) {
		observed += end.Sub(prev)
		if prevStatus == homelabcmd.StatusRunning {
			running += end.Sub(prev)
		}
	}
	if observed <= 0 {
		v := 0.0
		if prevStatus == homelabcmd.StatusRunning {
			v = 100
		}
		return &v, nil
	}
	v := float64(running) / float64(observed) * 100
	return &v, nil
}

// MetricsTier returns rolled-up points ("hourly" or "daily" averages) of a
// server in [from, to], oldest first.
func (db *DB) MetricsTier(ctx context.Context, serverID, tier string, from, to time.Time) ([]homelabcmd.MetricPoint, error) {
	table := "metrics_hourly"
	if tier == "daily" {
		table = "metrics_daily"
	}
	return db.metricPoints(ctx, `SELECT timestamp, cpu_avg, memory_avg, disk_avg FROM `+table+`
		WHERE server_id = $1 AND timestamp >= $2 AND timestamp <= $3 ORDER BY timestamp`, serverID, from, to)
}
