package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// HourlyCPU returns each server's average CPU use since from (serverID ""
// for every server), for cost estimates: per UTC day from the hourly
// rollups (Hours = the hours with data), and per hour (Hours = 1) from
// the raw samples after the last rollup. Oldest first.
func (db *DB) HourlyCPU(ctx context.Context, serverID string, from time.Time) (map[string][]homelabcmd.HourCPU, error) {
	out := map[string][]homelabcmd.HourCPU{}
	collect := func(query string, args ...any) error {
		rows, err := db.read.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var bucket any
			var cpu float64
			var n int
			if err := rows.Scan(&id, &bucket, &cpu, &n); err != nil {
				return err
			}
			h, err := bucketTime(bucket)
			if err != nil {
				return err
			}
			out[id] = append(out[id], homelabcmd.HourCPU{Hour: h, CPU: cpu, Hours: n})
		}
		return rows.Err()
	}
	ids := []string{serverID}
	if serverID == "" {
		var err error
		if ids, err = db.serverIDs(ctx); err != nil {
			return nil, err
		}
	}
	// Per server, each an indexed range: the rollups summed per day by the
	// database (365 rows a year, not 8,760), then the raw samples per hour
	// after the server's last rollup (it covers the complete hours before).
	day, hour := db.bucketExpr("day"), db.bucketExpr("hour")
	for _, id := range ids {
		if err := collect(`SELECT server_id, `+day+`, AVG(cpu_avg), COUNT(*) FROM metrics_hourly
			WHERE server_id = $1 AND timestamp >= $2 AND cpu_avg IS NOT NULL GROUP BY server_id, `+day, id, utc(from)); err != nil {
			return nil, err
		}
		rawFrom := utc(from)
		var last any
		if err := db.read.QueryRowContext(ctx, `SELECT MAX(timestamp) FROM metrics_hourly WHERE server_id = $1 AND timestamp >= $2`, id, utc(from)).Scan(&last); err != nil {
			return nil, err
		}
		if last != nil {
			l, err := bucketTime(last)
			if err != nil {
				return nil, err
			}
			if l.Add(time.Hour).After(rawFrom) {
				rawFrom = l.Add(time.Hour)
			}
		}
		if err := collect(`SELECT server_id, `+hour+`, AVG(cpu_percent), 1 FROM metrics
			WHERE server_id = $1 AND timestamp >= $2 AND cpu_percent IS NOT NULL GROUP BY server_id, `+hour, id, rawFrom); err != nil {
			return nil, err
		}
	}
	for _, hs := range out {
		sort.Slice(hs, func(i, j int) bool { return hs[i].Hour.Before(hs[j].Hour) })
	}
	return out, nil
}

func (db *DB) serverIDs(ctx context.Context) ([]string, error) {
	return columnOf[string](ctx, db.read, `SELECT id FROM servers ORDER BY id`)
}

// bucketTime reads an hour bucket: a time on PostgreSQL and in the rollup
// tables, SQLite's strftime text for raw rows.
func bucketTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Truncate(time.Hour), nil
	case string:
		return parseBucket(t)
	case []byte:
		return parseBucket(string(t))
	}
	return time.Time{}, fmt.Errorf("sqlstore: unexpected hour bucket %T", v)
}

func parseBucket(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Hour), nil
		}
	}
	return time.Time{}, fmt.Errorf("sqlstore: unreadable hour bucket %q", s)
}

// PutDailyCosts stores daily cost snapshots; a server's day already stored
// is kept as it is (a snapshot is taken once, whichever hub takes it). It
// returns how many it stored.
func (db *DB) PutDailyCosts(ctx context.Context, costs []homelabcmd.DailyCost) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		n = 0
		for _, c := range costs {
			res, err := tx.ExecContext(ctx, `INSERT INTO server_daily_costs (server_id, day, hours_online, cpu_avg_percent, avg_watts, kwh, cost, rate, currency_symbol, captured_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (server_id, day) DO NOTHING`,
				c.ServerID, c.Date, c.HoursOnline, c.CPUAvg, c.AvgWatts, c.KWh, c.Cost, c.Rate, c.CurrencySymbol, tx.now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
		}
		return nil
	})
	return n, err
}

// DailyCosts returns the snapshots of days from fromDay to toDay
// (YYYY-MM-DD, both included) by server and day; serverID "" for every
// server.
func (db *DB) DailyCosts(ctx context.Context, serverID, fromDay, toDay string) (map[string]map[string]homelabcmd.DailyCost, error) {
	q := `SELECT server_id, day, hours_online, cpu_avg_percent, avg_watts, kwh, cost, rate, currency_symbol, captured_at
		FROM server_daily_costs WHERE day >= $1 AND day <= $2`
	args := []any{fromDay, toDay}
	if serverID != "" {
		q, args = q+` AND server_id = $3`, append(args, serverID)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]homelabcmd.DailyCost{}
	for rows.Next() {
		var c homelabcmd.DailyCost
		var cpu sql.NullFloat64
		if err := rows.Scan(&c.ServerID, &c.Date, &c.HoursOnline, &cpu, &c.AvgWatts, &c.KWh, &c.Cost, &c.Rate, &c.CurrencySymbol, &c.CapturedAt); err != nil {
			return nil, err
		}
		if cpu.Valid {
			c.CPUAvg = &cpu.Float64
		}
		c.CapturedAt = c.CapturedAt.UTC()
		if out[c.ServerID] == nil {
			out[c.ServerID] = map[string]homelabcmd.DailyCost{}
		}
		out[c.ServerID][c.Date] = c
	}
	return out, rows.Err()
}
