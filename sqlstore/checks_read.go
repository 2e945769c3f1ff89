package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// ListChecks returns every check with each agent's current status and the
// share of successful probes over the last 24 hours; the state across
// agents is the engine's to decide (the caller fills it). A non-empty
// serverID limits the list to the checks that server runs.
func (db *DB) ListChecks(ctx context.Context, serverID string) ([]homelabcmd.CheckOverview, error) {
	var checks []homelabcmd.Check
	var err error
	if serverID != "" {
		checks, err = checksOfServer(ctx, db.read, serverID, "")
		slices.SortFunc(checks, func(a, b homelabcmd.Check) int { return strings.Compare(a.Name, b.Name) })
	} else {
		checks, err = loadChecks(ctx, db.read, `SELECT `+checkColumns+` FROM checks c ORDER BY c.name`)
	}
	if err != nil {
		return nil, err
	}
	return db.overviews(ctx, checks)
}

// CheckOverview returns one check with its per-agent statuses. ENOTFOUND.
func (db *DB) CheckOverview(ctx context.Context, id int64) (*homelabcmd.CheckOverview, error) {
	c, err := findCheck(ctx, db.read, id)
	if err != nil {
		return nil, err
	}
	list, err := db.overviews(ctx, []homelabcmd.Check{*c})
	if err != nil {
		return nil, err
	}
	return &list[0], nil
}

func (db *DB) overviews(ctx context.Context, checks []homelabcmd.Check) ([]homelabcmd.CheckOverview, error) {
	out := make([]homelabcmd.CheckOverview, len(checks))
	if len(checks) == 0 {
		return out, nil
	}
	agents, err := checkAgents(ctx, db.read, `1 = 1`)
	if err != nil {
		return nil, err
	}
	byCheck := map[int64][]homelabcmd.CheckAgentStatus{}
	for _, a := range agents {
		byCheck[a.CheckID] = append(byCheck[a.CheckID], a)
	}
	uptime := map[int64]float64{}
	rows, err := db.read.QueryContext(ctx, `SELECT check_id, SUM(CASE WHEN status <> 'down' THEN 1 ELSE 0 END) * 100.0 / COUNT(*)
		FROM check_results WHERE timestamp >= $1 GROUP BY check_id`, db.now().Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v float64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		uptime[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, c := range checks {
		out[i] = homelabcmd.CheckOverview{Check: c, Agents: byCheck[c.ID]}
		if out[i].Agents == nil {
			out[i].Agents = []homelabcmd.CheckAgentStatus{}
		}
		if v, ok := uptime[c.ID]; ok {
			out[i].UptimePercent = &v
		}
	}
	return out, nil
}

// CheckHistory returns a check's results since then, oldest first, at most
// limit of the newest. ENOTFOUND for an unknown check.
func (db *DB) CheckHistory(ctx context.Context, id int64, since time.Time, limit int) ([]homelabcmd.CheckHistoryPoint, error) {
	if _, err := findCheck(ctx, db.read, id); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT server_id, status, latency_ms, error, timestamp FROM (
		SELECT server_id, status, latency_ms, error, timestamp, id FROM check_results WHERE check_id = $1 AND timestamp >= $2
		ORDER BY timestamp DESC, id DESC LIMIT $3) AS newest ORDER BY timestamp, id`, id, utc(since), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.CheckHistoryPoint{}
	for rows.Next() {
		var p homelabcmd.CheckHistoryPoint
		if err := rows.Scan(&p.ServerID, &p.Status, &p.LatencyMS, &p.Error, &p.CheckedAt); err != nil {
			return nil, err
		}
		p.CheckedAt = p.CheckedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
