package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

const checkColumns = `c.id, c.name, c.check_type, c.target, c.interval_seconds, c.timeout_seconds, c.retries, c.critical,
	c.quorum, c.enabled, c.all_agents, c.options, c.created_at, c.updated_at, c.tags`

// loadChecks runs a query over checks c (columns checkColumns) and fills
// each check's servers.
func loadChecks(ctx context.Context, q querier, query string, args ...any) ([]homelabcmd.Check, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out := []homelabcmd.Check{}
	for rows.Next() {
		var c homelabcmd.Check
		var opts, tags string
		if err := rows.Scan(&c.ID, &c.Name, &c.Type, &c.Target, &c.IntervalSeconds, &c.TimeoutSeconds, &c.Retries, &c.Critical,
			&c.Quorum, &c.Enabled, &c.AllAgents, &opts, &c.CreatedAt, &c.UpdatedAt, &tags); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(opts), &c.CheckOptions); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil || c.Tags == nil {
			c.Tags = []string{}
		}
		c.CreatedAt, c.UpdatedAt, c.ServerIDs = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), []string{}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	byID := map[int64]*homelabcmd.Check{}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	srows, err := q.QueryContext(ctx, `SELECT check_id, server_id FROM check_servers ORDER BY server_id`)
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var id int64
		var server string
		if err := srows.Scan(&id, &server); err != nil {
			return nil, err
		}
		if c := byID[id]; c != nil {
			c.ServerIDs = append(c.ServerIDs, server)
		}
	}
	return out, srows.Err()
}

// ChecksForServer returns the enabled checks the server runs.
func (tx *Tx) ChecksForServer(ctx context.Context, serverID string) ([]homelabcmd.Check, error) {
	list, err := checksOfServer(ctx, tx, serverID, `c.enabled AND `)
	return list[:min(len(list), homelabcmd.MaxChecksPerAgent)], err
}

// checksOfServer returns the checks (those matching where, a condition
// ending in AND, or "") that run on the server: every agent's, the
// server's own and those of its tags, by id.
func checksOfServer(ctx context.Context, q querier, serverID, where string) ([]homelabcmd.Check, error) {
	var tagsJSON sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT tags FROM servers WHERE id = $1`, serverID).Scan(&tagsJSON); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var tags []string
	if tagsJSON.Valid {
		_ = json.Unmarshal([]byte(tagsJSON.String), &tags) // written from a validated list
	}
	list, err := loadChecks(ctx, q, `SELECT `+checkColumns+` FROM checks c WHERE `+where+`(c.all_agents OR c.tags <> '[]' OR EXISTS
		(SELECT 1 FROM check_servers s WHERE s.check_id = c.id AND s.server_id = $1)) ORDER BY c.id`, serverID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(c homelabcmd.Check) bool { return !c.RunsOn(serverID, tags) }), nil
}

// FindCheck returns a check. ENOTFOUND.
func (tx *Tx) FindCheck(ctx context.Context, id int64) (*homelabcmd.Check, error) {
	return findCheck(ctx, tx, id)
}

func findCheck(ctx context.Context, q querier, id int64) (*homelabcmd.Check, error) {
	list, err := loadChecks(ctx, q, `SELECT `+checkColumns+` FROM checks c WHERE c.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Check %d not found", id)
	}
	return &list[0], nil
}

// InsertCheck stores a new, validated check and sets its ID. ECONFLICT
// (name), ENOTFOUND (server).
func (tx *Tx) InsertCheck(ctx context.Context, c *homelabcmd.Check) error {
	opts, err := json.Marshal(c.CheckOptions)
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = tx.now, tx.now
	err = tx.QueryRowContext(ctx, `INSERT INTO checks (name, check_type, target, interval_seconds, timeout_seconds, retries, critical,
		quorum, enabled, all_agents, options, created_at, updated_at, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id`,
		c.Name, c.Type, c.Target, c.IntervalSeconds, c.TimeoutSeconds, c.Retries, c.Critical, c.Quorum, c.Enabled, c.AllAgents,
		string(opts), tx.now, tagsJSON(c.Tags)).Scan(&c.ID)
	if err = translate(err, "A check named '"+c.Name+"' already exists", ""); err != nil {
		return err
	}
	return tx.setCheckServers(ctx, c)
}

// UpdateCheck stores a validated check's fields and servers, and forgets
// the per-agent statuses of servers that no longer run it. ECONFLICT
// (name), ENOTFOUND.
func (tx *Tx) UpdateCheck(ctx context.Context, c *homelabcmd.Check) error {
	opts, err := json.Marshal(c.CheckOptions)
	if err != nil {
		return err
	}
	c.UpdatedAt = tx.now
	res, err := tx.ExecContext(ctx, `UPDATE checks SET name = $1, target = $2, interval_seconds = $3, timeout_seconds = $4, retries = $5,
		critical = $6, quorum = $7, enabled = $8, all_agents = $9, options = $10, updated_at = $11, tags = $13 WHERE id = $12`,
		c.Name, c.Target, c.IntervalSeconds, c.TimeoutSeconds, c.Retries, c.Critical, c.Quorum, c.Enabled, c.AllAgents, string(opts), tx.now, c.ID,
		tagsJSON(c.Tags))
	if err = translate(err, "A check named '"+c.Name+"' already exists", ""); err != nil {
		return err
	}
	if err := mustAffect(res, nil, "Check %d not found", c.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM check_servers WHERE check_id = $1`, c.ID); err != nil {
		return err
	}
	if err := tx.setCheckServers(ctx, c); err != nil {
		return err
	}
	if c.AllAgents || len(c.Tags) > 0 {
		return nil // the servers of its tags change without it: statuses age out
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM check_status WHERE check_id = $1 AND server_id NOT IN
		(SELECT server_id FROM check_servers WHERE check_id = $1)`, c.ID)
	return err
}

// tagsJSON is a validated tag list as stored (a JSON list).
func tagsJSON(tags []string) string {
	if tags == nil {
		tags = []string{}
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

func (tx *Tx) setCheckServers(ctx context.Context, c *homelabcmd.Check) error {
	for _, id := range slices.Compact(slices.Sorted(slices.Values(c.ServerIDs))) {
		_, err := tx.ExecContext(ctx, `INSERT INTO check_servers (check_id, server_id) VALUES ($1, $2)`, c.ID, id)
		if err = translate(err, "", "Server '"+id+"' not found"); err != nil {
			if homelabcmd.IsNotFound(err) {
				err.(*homelabcmd.Error).Field = "server_ids"
			}
			return err
		}
	}
	return nil
}

// DeleteCheck removes a check with its statuses and history. ENOTFOUND.
func (tx *Tx) DeleteCheck(ctx context.Context, id int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM checks WHERE id = $1`, id)
	return mustAffect(res, err, "Check %d not found", id)
}

// CheckRuleState locks the check's row (serialising its evaluation across
// hubs) and returns the rules' memory for it.
func (tx *Tx) CheckRuleState(ctx context.Context, checkID int64) (homelabcmd.RuleState, error) {
	var raw sql.NullString
	err := tx.QueryRowContext(ctx, `UPDATE checks SET rule_state = rule_state WHERE id = $1 RETURNING rule_state`, checkID).Scan(&raw)
	var st homelabcmd.RuleState
	if err != nil || !raw.Valid {
		return st, notFound(err, "Check %d not found", checkID)
	}
	return st, json.Unmarshal([]byte(raw.String), &st)
}

// SaveCheckRuleState stores the rules' memory for a check.
func (tx *Tx) SaveCheckRuleState(ctx context.Context, checkID int64, st homelabcmd.RuleState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE checks SET rule_state = $1 WHERE id = $2`, string(b), checkID)
	return err
}

// UnresolvedCheckAlert returns the check's open or acknowledged alert on
// any server; nil when none.
func (tx *Tx) UnresolvedCheckAlert(ctx context.Context, name string) (*homelabcmd.Alert, error) {
	// The literals match the partial index idx_alerts_unresolved_check.
	a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE alert_type = 'check' AND service_name = $1
		AND status <> 'resolved' ORDER BY id LIMIT 1`, name))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return a, err
}

// checkAgents returns every agent's current status of the given checks.
func checkAgents(ctx context.Context, q querier, where string, args ...any) ([]homelabcmd.CheckAgentStatus, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.check_id, s.server_id, COALESCE(v.display_name, v.hostname), s.status, s.failures,
		s.latency_ms, s.status_code, s.error, s.cert_expires_at, s.method, s.checked_at, s.changed_at
		FROM check_status s JOIN servers v ON v.id = s.server_id WHERE `+where+` ORDER BY s.check_id, s.server_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []homelabcmd.CheckAgentStatus{}
	for rows.Next() {
		var a homelabcmd.CheckAgentStatus
		var cert sql.NullTime
		if err := rows.Scan(&a.CheckID, &a.ServerID, &a.ServerName, &a.Status, &a.Failures, &a.LatencyMS, &a.StatusCode, &a.Error,
			&cert, &a.Method, &a.CheckedAt, &a.ChangedAt); err != nil {
			return nil, err
		}
		a.CertExpiresAt, a.CheckedAt, a.ChangedAt = timePtr(cert), a.CheckedAt.UTC(), a.ChangedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveCheckResults stores the server's results of checks it runs (others
// are ignored), oldest first: each goes to the history, and the agent's
// current status moves with it: up or warn at once, down once the failures
// in a row exceed the check's retries. It returns the checks whose status
// or failure count changed, and those with an unresolved alert that got a
// result, with every agent's status.
func (tx *Tx) SaveCheckResults(ctx context.Context, serverID string, results []homelabcmd.CheckResult) ([]homelabcmd.CheckState, error) {
	if len(results) == 0 {
		return nil, nil
	}
	checks, err := tx.ChecksForServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]homelabcmd.Check{}
	for _, c := range checks {
		byID[c.ID] = c
	}
	sorted := slices.Clone(results)
	slices.SortStableFunc(sorted, func(a, b homelabcmd.CheckResult) int { return a.CheckedAt.Compare(b.CheckedAt) })
	changed := map[int64]bool{}
	for _, r := range sorted {
		c, ok := byID[r.CheckID]
		if !ok {
			continue
		}
		at := r.CheckedAt.UTC()
		if at.After(tx.now) {
			at = tx.now
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO check_results (check_id, server_id, status, latency_ms, error, timestamp)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, serverID, r.Status, r.LatencyMS, r.Error, at); err != nil {
			return nil, err
		}
		moved, err := tx.moveCheckStatus(ctx, c, serverID, r, at)
		if err != nil {
			return nil, err
		}
		changed[c.ID] = changed[c.ID] || moved
	}
	// A check with an unresolved alert is evaluated on every result, so
	// that its alert resolves once a flap has calmed or a recovery held.
	alerted := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT service_name FROM alerts WHERE alert_type = 'check' AND status <> 'resolved'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		alerted[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []homelabcmd.CheckState
	for _, c := range checks {
		if moved, got := changed[c.ID]; !moved && !(got && alerted[c.Name]) {
			continue
		}
		agents, err := checkAgents(ctx, tx, `s.check_id = $1`, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, homelabcmd.CheckState{Check: c, Agents: agents})
	}
	return out, nil
}

// moveCheckStatus applies one result to the agent's current status and
// reports whether its status or failure count changed. A result older than
// the stored one only goes to the history.
func (tx *Tx) moveCheckStatus(ctx context.Context, c homelabcmd.Check, serverID string, r homelabcmd.CheckResult, at time.Time) (bool, error) {
	status, failures := "pending", 0
	var last time.Time
	err := tx.QueryRowContext(ctx, `SELECT status, failures, checked_at FROM check_status WHERE check_id = $1 AND server_id = $2`,
		c.ID, serverID).Scan(&status, &failures, &last)
	found := err == nil
	if err != nil && err != sql.ErrNoRows {
		return false, err
	}
	if found && at.Before(last.UTC()) {
		return false, nil
	}
	next, nf := status, 0
	switch r.Status {
	case homelabcmd.CheckDown:
		nf = min(failures+1, 1000)
		if nf > c.Retries {
			next = homelabcmd.CheckDown
		}
	default:
		next = r.Status
	}
	changedAt := at
	if found && next == status {
		changedAt = time.Time{}
	}
	var cert any
	if r.CertExpiresAt != nil {
		cert = r.CertExpiresAt.UTC()
	}
	if !found {
		_, err = tx.ExecContext(ctx, `INSERT INTO check_status (check_id, server_id, status, failures, latency_ms, status_code, error,
			cert_expires_at, method, checked_at, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
			c.ID, serverID, next, nf, r.LatencyMS, r.StatusCode, r.Error, cert, r.Method, at)
		return true, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE check_status SET status = $1, failures = $2, latency_ms = $3, status_code = $4, error = $5,
		cert_expires_at = $6, method = $7, checked_at = $8, changed_at = CASE WHEN $9 THEN $8 ELSE changed_at END
		WHERE check_id = $10 AND server_id = $11`,
		next, nf, r.LatencyMS, r.StatusCode, r.Error, cert, r.Method, at, !changedAt.IsZero(), c.ID, serverID)
	return next != status || nf != failures, err
}
