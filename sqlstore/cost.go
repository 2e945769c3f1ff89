package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// HourlyCPU returns each server's average CPU use per UTC hour with data
// since from (serverID "" for every server), for cost estimates: the raw
// samples grouped by hour where they are kept, else the hourly rollups.
// Hours are oldest first.
func (db *DB) HourlyCPU(ctx context.Context, serverID string, from time.Time) (map[string][]homelabcmd.HourCPU, error) {
	byServer := map[string]map[time.Time]float64{}
	where, args := "timestamp >= $1 AND cpu_percent IS NOT NULL", []any{utc(from)}
	hwhere := "timestamp >= $1 AND cpu_avg IS NOT NULL"
	if serverID != "" {
		where += " AND server_id = $2"
		hwhere += " AND server_id = $2"
		args = append(args, serverID)
	}
	collect := func(query string) error {
		rows, err := db.read.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var bucket any
			var cpu float64
			if err := rows.Scan(&id, &bucket, &cpu); err != nil {
				return err
			}
			h, err := bucketTime(bucket)
			if err != nil {
				return err
			}
			m := byServer[id]
			if m == nil {
				m = map[time.Time]float64{}
				byServer[id] = m
			}
			m[h] = cpu // raw (read second) overrides the rollup
		}
		return rows.Err()
	}
	if err := collect(`SELECT server_id, timestamp, cpu_avg FROM metrics_hourly WHERE ` + hwhere); err != nil {
		return nil, err
	}
	b := db.bucketExpr("hour")
	if err := collect(`SELECT server_id, ` + b + `, AVG(cpu_percent) FROM metrics WHERE ` + where + ` GROUP BY server_id, ` + b); err != nil {
		return nil, err
	}
	out := make(map[string][]homelabcmd.HourCPU, len(byServer))
	for id, m := range byServer {
		hs := make([]homelabcmd.HourCPU, 0, len(m))
		for h, c := range m {
			hs = append(hs, homelabcmd.HourCPU{Hour: h, CPU: c})
		}
		sort.Slice(hs, func(i, j int) bool { return hs[i].Hour.Before(hs[j].Hour) })
		out[id] = hs
	}
	return out, nil
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
