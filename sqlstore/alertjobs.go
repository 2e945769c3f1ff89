package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/alerting"
)

// AcknowledgeAlert moves an open alert to acknowledged, which stops its
// reminders but not its auto-resolve; it is allowed while the service is
// still down. Acknowledging twice returns the first time. ENOTFOUND, and
// EBADREQUEST for a resolved alert.
func (db *DB) AcknowledgeAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error) {
	var out *homelabcmd.Alert
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'acknowledged', acknowledged_at = $1, updated_at = $1
			WHERE id = $2 AND status = 'open'`, tx.now, id); err != nil {
			return err
		}
		a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
		if err = notFound(err, "Alert %d not found", id); err != nil {
			return err
		}
		if a.Status == homelabcmd.AlertResolved {
			return homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Cannot acknowledge a resolved alert")
		}
		out = a
		return nil
	})
	return out, err
}

// ResolveAlert resolves an open or acknowledged alert by hand
// (auto_resolved false); resolving twice returns the stored values. If the
// condition persists, the next evaluation opens a new alert. ENOTFOUND.
func (db *DB) ResolveAlert(ctx context.Context, id int64) (*homelabcmd.Alert, error) {
	var out *homelabcmd.Alert
	err := db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET status = 'resolved', resolved_at = $1, updated_at = $1, auto_resolved = FALSE
			WHERE id = $2 AND status <> 'resolved'`, tx.now, id); err != nil {
			return err
		}
		a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
		out = a
		return notFound(err, "Alert %d not found", id)
	})
	return out, err
}

// CheckOffline marks servers offline whose last heartbeat is older than the
// offline timeout and opens their offline alerts (not for workstations),
// with their notifications, in one transaction. It returns how many servers
// went offline. Run it through RunExclusive so one hub does it at a time;
// the conditional updates keep it safe even without.
func (db *DB) CheckOffline(ctx context.Context) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		cfg, err := db.alertConfig(ctx, tx)
		if err != nil {
			return err
		}
		cut := tx.now.Add(-cfg.OfflineTimeout())
		rows, err := tx.QueryContext(ctx, `SELECT id, hostname, display_name, machine_type, is_paused, status, last_seen FROM servers
			WHERE status = 'online' AND last_seen < $1 AND is_inactive = FALSE`, cut)
		if err != nil {
			return err
		}
		var cands []alerting.ServerSeen
		for rows.Next() {
			var s alerting.ServerSeen
			var display sql.NullString
			var last sql.NullTime
			if err := rows.Scan(&s.ID, &s.Name, &display, &s.MachineType, &s.Paused, &s.Status, &last); err != nil {
				rows.Close()
				return err
			}
			if display.Valid && display.String != "" {
				s.Name = display.String
			}
			s.LastSeen = timePtr(last)
			cands = append(cands, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		o := &outboxWriter{}
		for _, s := range cands {
			alerts, err := unresolvedAlerts(ctx, tx, s.ID)
			if err != nil {
				return err
			}
			s.OfflineAlert = alerts[homelabcmd.AlertOffline]
			off, tr := alerting.Offline(s, cfg, tx.now)
			if !off {
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE servers SET status = 'offline', updated_at = $1 WHERE id = $2 AND status = 'online' AND last_seen < $3`,
				tx.now, s.ID, cut)
			if ok, err := affected(res, err); err != nil {
				return err
			} else if !ok {
				continue // a heartbeat came in meanwhile
			}
			n++
			if tr != nil {
				if err := applyTransition(ctx, tx, o, s.Name, *tr); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// SendReminders queues a reminder for every open (not acknowledged) alert
// of an unpaused server whose reminder interval has passed, and records
// when. It returns how many it queued. Run it through RunExclusive.
func (db *DB) SendReminders(ctx context.Context) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *Tx) error {
		cfg, err := db.alertConfig(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+prefixed("a.", alertColumns)+`, st.last_notified_at, s.is_paused, s.hostname, s.display_name
			FROM alerts a JOIN servers s ON s.id = a.server_id
			LEFT JOIN alert_rule_state st ON st.server_id = a.server_id AND st.rule_key = a.dedup_key
			WHERE a.status = 'open' ORDER BY a.id`)
		if err != nil {
			return err
		}
		type due struct {
			tr   alerting.Transition
			name string
		}
		var list []due
		for rows.Next() {
			var a homelabcmd.Alert
			var ack, resd, last sql.NullTime
			var paused bool
			var host string
			var display sql.NullString
			if err := rows.Scan(&a.ID, &a.ServerID, &a.AlertType, &a.Severity, &a.Status, &a.Title, &a.Message, &a.ServiceName,
				&a.ThresholdValue, &a.ActualValue, &a.CreatedAt, &a.UpdatedAt, &ack, &resd, &a.AutoResolved, &last, &paused, &host, &display); err != nil {
				rows.Close()
				return err
			}
			a.CreatedAt = a.CreatedAt.UTC()
			if tr, ok := alerting.Remind(&a, timePtr(last), paused, cfg, tx.now); ok {
				name := host
				if display.Valid && display.String != "" {
					name = display.String
				}
				list = append(list, due{tr, name})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		o := &outboxWriter{}
		for _, d := range list {
			if err := applyTransition(ctx, tx, o, d.name, d.tr); err != nil {
				return err
			}
		}
		n = len(list)
		return nil
	})
	return n, err
}

func prefixed(p, cols string) string {
	out := ""
	for i, c := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += p + c
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
