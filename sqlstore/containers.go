package sqlstore

import (
	"context"
	"database/sql"

	"github.com/homelabcmd/homelabcmd"
)

// ListContainers returns every container of a server: each one its agent
// reported (expected or not) with its current status, and each expected
// container never reported (CurrentStatus nil), expected ones first in
// creation order, then the others by name. ENOTFOUND.
func (db *DB) ListContainers(ctx context.Context, serverID string) ([]*homelabcmd.ContainerView, error) {
	if err := serverExists(ctx, db.read, serverID); err != nil {
		return nil, err
	}
	expected, err := listExpectedServices(ctx, db.read, serverID, homelabcmd.KindContainer)
	if err != nil {
		return nil, err
	}
	out := make([]*homelabcmd.ContainerView, 0, len(expected))
	seen := make(map[string]bool, len(expected))
	for _, e := range expected {
		seen[e.ServiceName] = true
		out = append(out, homelabcmd.ExpectedContainerView(e))
	}
	figs, err := figuresOf(ctx, db.read, serverID, homelabcmd.KindContainer)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT c.service_name, c.status, c.status_reason, c.memory_mb, c.cpu_percent, c.restarts,
		c.timestamp, c.detail, s.status FROM service_current_status c JOIN servers s ON s.id = c.server_id
		WHERE c.server_id = $1 AND c.kind = 'container' ORDER BY c.service_name`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var cur homelabcmd.CurrentStatus
		var detail sql.NullString
		var serverStatus string
		if err := rows.Scan(&name, &cur.Status, &cur.StatusReason, &cur.MemoryMB, &cur.CPUPercent, &cur.Restarts,
			&cur.LastSeen, &detail, &serverStatus); err != nil {
			return nil, err
		}
		if seen[name] {
			continue
		}
		cur.LastSeen = cur.LastSeen.UTC()
		cur.Stale = serverStatus == homelabcmd.ServerOffline
		cur.Container = containerDetail(detail)
		figs.apply(name, &cur)
		out = append(out, &homelabcmd.ContainerView{ContainerName: name, Enabled: true, CurrentStatus: &cur})
	}
	return out, rows.Err()
}
