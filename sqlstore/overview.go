package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

const metricsColumns = `m.server_id, m.timestamp, m.cpu_percent, m.memory_percent, m.memory_total_mb, m.memory_used_mb,
	m.disk_percent, m.disk_total_gb, m.disk_used_gb, m.network_rx_bytes, m.network_tx_bytes, m.load_1m, m.load_5m, m.load_15m, m.uptime_seconds`

func scanMetrics(row scanner) (*homelabcmd.MetricsSample, error) {
	var m homelabcmd.MetricsSample
	err := row.Scan(&m.ServerID, &m.Timestamp, &m.CPUPercent, &m.MemoryPercent, &m.MemoryTotalMB, &m.MemoryUsedMB,
		&m.DiskPercent, &m.DiskTotalGB, &m.DiskUsedGB, &m.NetworkRxBytes, &m.NetworkTxBytes, &m.Load1m, &m.Load5m, &m.Load15m, &m.UptimeSeconds)
	m.Timestamp = m.Timestamp.UTC()
	return &m, err
}

// LatestMetrics returns the newest metrics sample of a server, nil if none.
func (db *DB) LatestMetrics(ctx context.Context, serverID string) (*homelabcmd.MetricsSample, error) {
	m, err := scanMetrics(db.read.QueryRowContext(ctx, `SELECT `+metricsColumns+` FROM metrics m
		WHERE m.server_id = $1 ORDER BY m.timestamp DESC, m.id DESC LIMIT 1`, serverID))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return m, err
}

// ServerOverviews returns every server with its latest metrics, open alerts
// and service counts, in four indexed queries whatever the fleet size.
func (db *DB) ServerOverviews(ctx context.Context) ([]*homelabcmd.ServerOverview, error) {
	servers, err := db.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*homelabcmd.ServerOverview, len(servers))
	byID := make(map[string]*homelabcmd.ServerOverview, len(servers))
	for i, s := range servers {
		out[i] = &homelabcmd.ServerOverview{Server: s, ActiveAlertSummaries: []string{}}
		byID[s.ID] = out[i]
	}
	// Latest sample per server: one index seek each, inside one statement.
	rows, err := db.read.QueryContext(ctx, `SELECT `+metricsColumns+` FROM servers s
		JOIN metrics m ON m.id = (SELECT id FROM metrics WHERE server_id = s.id ORDER BY timestamp DESC, id DESC LIMIT 1)`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		m, err := scanMetrics(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if o := byID[m.ServerID]; o != nil {
			o.LatestMetrics = m
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = db.read.QueryContext(ctx, `SELECT server_id, title FROM alerts WHERE status = 'open' ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, title string
		if err := rows.Scan(&id, &title); err != nil {
			rows.Close()
			return nil, err
		}
		if o := byID[id]; o != nil {
			o.ActiveAlertCount++
			if len(o.ActiveAlertSummaries) < 3 {
				o.ActiveAlertSummaries = append(o.ActiveAlertSummaries, title)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = db.read.QueryContext(ctx, `SELECT e.server_id, e.kind, COALESCE(c.status, 'unknown'), COUNT(*) FROM expected_services e
		LEFT JOIN service_current_status c ON c.server_id = e.server_id AND c.kind = e.kind AND c.service_name = e.service_name
		WHERE e.enabled = TRUE GROUP BY e.server_id, e.kind, COALESCE(c.status, 'unknown')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var kind homelabcmd.UnitKind
		var st homelabcmd.ServiceStatusValue
		var n int
		if err := rows.Scan(&id, &kind, &st, &n); err != nil {
			return nil, err
		}
		o := byID[id]
		if o == nil {
			continue
		}
		sum := &o.ServiceSummary
		if kind == homelabcmd.KindContainer {
			if o.ContainerSummary == nil {
				o.ContainerSummary = &homelabcmd.ServiceSummary{}
			}
			sum = o.ContainerSummary
		}
		sum.Total += n
		switch {
		case st == homelabcmd.StatusRunning:
			sum.Running += n
		case st.IsDown():
			sum.Down += n
		default:
			sum.Unknown += n
		}
	}
	return out, rows.Err()
}

// MetricsBetween returns a server's samples in [from, to], oldest first.
func (db *DB) MetricsBetween(ctx context.Context, serverID string, from, to time.Time) ([]homelabcmd.MetricPoint, error) {
	return db.metricPoints(ctx, `SELECT timestamp, cpu_percent, memory_percent, disk_percent FROM metrics
		WHERE server_id = $1 AND timestamp >= $2 AND timestamp <= $3 ORDER BY timestamp`, serverID, from, to)
}

// metricPoints runs a query of (timestamp, cpu, memory, disk) rows for one
// server and time window.
func (db *DB) metricPoints(ctx context.Context, query, serverID string, from, to time.Time) ([]homelabcmd.MetricPoint, error) {
	rows, err := db.read.QueryContext(ctx, query, serverID, utc(from), utc(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.MetricPoint{}
	for rows.Next() {
		var p homelabcmd.MetricPoint
		if err := rows.Scan(&p.Timestamp, &p.CPUPercent, &p.MemoryPercent, &p.DiskPercent); err != nil {
			return nil, err
		}
		p.Timestamp = p.Timestamp.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// FleetServiceStates returns every enabled expected service with its
// current state ("unknown" before any report), for the Prometheus exporter:
// its label set is bounded by what the operator expects, not by what agents send.
func (db *DB) FleetServiceStates(ctx context.Context) ([]homelabcmd.FleetServiceState, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT e.server_id, e.kind, e.service_name, e.is_critical, COALESCE(c.status, 'unknown'), c.restarts
		FROM expected_services e LEFT JOIN service_current_status c ON c.server_id = e.server_id AND c.kind = e.kind AND c.service_name = e.service_name
		WHERE e.enabled = TRUE ORDER BY e.server_id, e.kind, e.service_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []homelabcmd.FleetServiceState
	for rows.Next() {
		var s homelabcmd.FleetServiceState
		if err := rows.Scan(&s.ServerID, &s.Kind, &s.ServiceName, &s.IsCritical, &s.Status, &s.Restarts); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	figs, err := loadFigures(ctx, db.read, "")
	if err != nil {
		return nil, err
	}
	for i := range out {
		s := &out[i]
		if f := figs[figuresKey{s.ServerID, s.Kind}]; f != nil {
			if u, ok := f.units[s.ServiceName]; ok {
				s.Restarts = u.Restarts
			}
		}
	}
	return out, nil
}

// OpenAlertCounts counts unresolved alerts by severity.
func (db *DB) OpenAlertCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT severity, COUNT(*) FROM alerts WHERE status <> 'resolved' GROUP BY severity`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var sev string
		var n int
		if err := rows.Scan(&sev, &n); err != nil {
			return nil, err
		}
		out[sev] = n
	}
	return out, rows.Err()
}
