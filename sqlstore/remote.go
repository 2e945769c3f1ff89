package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// This file stores the agentless features (issue 20). Secrets arrive here
// already sealed (package keyfile); the store never sees plaintext.

func nullServer(serverID string) sql.NullString {
	return sql.NullString{String: serverID, Valid: serverID != ""}
}

// PutSSHCredential stores (or replaces) a sealed credential of a server,
// or the default one when serverID is "". ENOTFOUND (no such server).
func (db *DB) PutSSHCredential(ctx context.Context, serverID, ctype, sealed, actor string) (*homelabcmd.SSHCredential, error) {
	c := &homelabcmd.SSHCredential{CredentialType: ctype, CreatedBy: actor}
	if serverID != "" {
		c.ServerID = &serverID
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		var created time.Time
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM ssh_credentials WHERE credential_type = $1 AND COALESCE(server_id, '') = $2`, ctype, serverID).Scan(&created)
		switch {
		case err == nil:
			c.CreatedAt = created.UTC()
			_, err = tx.ExecContext(ctx, `UPDATE ssh_credentials SET sealed = $1, created_by = $2, updated_at = $3
				WHERE credential_type = $4 AND COALESCE(server_id, '') = $5`, sealed, actor, tx.now, ctype, serverID)
			return err
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO ssh_credentials (server_id, credential_type, sealed, created_by, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5)`, nullServer(serverID), ctype, sealed, actor, tx.now)
			return translate(err, "The credential changed meanwhile; try again", "Server '"+serverID+"' not found")
		default:
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// SealedSSHCredential returns the sealed secret of a server's credential of
// that type (serverID "" for the default). ENOTFOUND.
func (db *DB) SealedSSHCredential(ctx context.Context, serverID, ctype string) (string, error) {
	var sealed string
	err := db.read.QueryRowContext(ctx, `SELECT sealed FROM ssh_credentials WHERE credential_type = $1 AND COALESCE(server_id, '') = $2`, ctype, serverID).Scan(&sealed)
	return sealed, notFound(err, "No %s credential", ctype)
}

// ListSSHCredentials describes the credentials of a server (serverID "":
// the defaults), never their secrets.
func (db *DB) ListSSHCredentials(ctx context.Context, serverID string) ([]*homelabcmd.SSHCredential, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT server_id, credential_type, created_by, created_at, updated_at FROM ssh_credentials
		WHERE COALESCE(server_id, '') = $1 ORDER BY credential_type`, serverID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.SSHCredential{}
	for rows.Next() {
		var c homelabcmd.SSHCredential
		var sid sql.NullString
		if err := rows.Scan(&sid, &c.CredentialType, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, err
		}
		if sid.Valid {
			c.ServerID = &sid.String
		}
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		out = append(out, &c)
	}
	return out, rows.Err()
}

// DeleteSSHCredential removes a credential. ENOTFOUND.
func (db *DB) DeleteSSHCredential(ctx context.Context, serverID, ctype string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ssh_credentials WHERE credential_type = $1 AND COALESCE(server_id, '') = $2`, ctype, serverID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return homelabcmd.Errorf(homelabcmd.ENOTFOUND, "No %s credential", ctype)
		}
		return nil
	})
}

// PinnedHostKey returns the wire-format key pinned for addr, nil when none.
func (db *DB) PinnedHostKey(ctx context.Context, addr string) ([]byte, error) {
	var enc string
	err := db.read.QueryRowContext(ctx, `SELECT public_key FROM ssh_host_keys WHERE addr = $1`, addr).Scan(&enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(enc)
}

// PinHostKey records a host key seen for the first time; a key pinned
// meanwhile by someone else wins (ECONFLICT).
func (db *DB) PinHostKey(ctx context.Context, k homelabcmd.HostKey) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ssh_host_keys (addr, key_type, public_key, fingerprint, first_seen) VALUES ($1, $2, $3, $4, $5)`,
			k.Addr, k.KeyType, base64.StdEncoding.EncodeToString(k.Key), k.Fingerprint, tx.now)
		return translate(err, "A host key for "+k.Addr+" was pinned meanwhile", "")
	})
}

// ListHostKeys returns the pinned host keys by address.
func (db *DB) ListHostKeys(ctx context.Context) ([]*homelabcmd.HostKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT addr, key_type, fingerprint, first_seen FROM ssh_host_keys ORDER BY addr`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.HostKey{}
	for rows.Next() {
		var k homelabcmd.HostKey
		if err := rows.Scan(&k.Addr, &k.KeyType, &k.Fingerprint, &k.FirstSeen); err != nil {
			return nil, err
		}
		k.FirstSeen = k.FirstSeen.UTC()
		out = append(out, &k)
	}
	return out, rows.Err()
}

// DeleteHostKey forgets a pinned key, so the next connection pins anew. ENOTFOUND.
func (db *DB) DeleteHostKey(ctx context.Context, addr string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ssh_host_keys WHERE addr = $1`, addr)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return homelabcmd.Errorf(homelabcmd.ENOTFOUND, "No host key pinned for %s", addr)
		}
		return nil
	})
}

// SSHTarget returns how to reach a server over SSH. ENOTFOUND.
func (db *DB) SSHTarget(ctx context.Context, serverID string) (*homelabcmd.SSHTarget, error) {
	t := homelabcmd.SSHTarget{ServerID: serverID}
	var jump sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT host, port, username, jump_server_id FROM ssh_targets WHERE server_id = $1`, serverID).
		Scan(&t.Host, &t.Port, &t.Username, &jump)
	if err != nil {
		return nil, notFound(err, "Server '%s' has no SSH address", serverID)
	}
	if jump.Valid {
		t.JumpServerID = &jump.String
	}
	return &t, nil
}

// PutSSHTarget sets how to reach a server over SSH. ENOTFOUND (no server).
func (db *DB) PutSSHTarget(ctx context.Context, t homelabcmd.SSHTarget) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ssh_targets (server_id, host, port, username, jump_server_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (server_id) DO UPDATE SET host = excluded.host, port = excluded.port, username = excluded.username,
				jump_server_id = excluded.jump_server_id`,
			t.ServerID, t.Host, t.Port, t.Username, t.JumpServerID)
		return translate(err, "", "Server '"+t.ServerID+"' not found")
	})
}

const scanColumns = `id, hostname, port, username, scan_type, status, error, results, host_key, requested_by, started_at, completed_at`

func scanScan(row scanner) (*homelabcmd.Scan, error) {
	var s homelabcmd.Scan
	var errText, results, hostKey sql.NullString
	var done sql.NullTime
	if err := row.Scan(&s.ID, &s.Hostname, &s.Port, &s.Username, &s.ScanType, &s.Status, &errText, &results, &hostKey,
		&s.RequestedBy, &s.StartedAt, &done); err != nil {
		return nil, err
	}
	if errText.Valid {
		s.Error = &errText.String
	}
	if hostKey.Valid {
		s.HostKey = &hostKey.String
	}
	if results.Valid {
		s.Results = json.RawMessage(results.String)
	}
	s.StartedAt, s.CompletedAt = s.StartedAt.UTC(), timePtr(done)
	return &s, nil
}

// History kept: the newest scans and sweeps; older ones are dropped when
// a new one starts.
const (
	keptScans       = 1000
	keptDiscoveries = 100
)

// CreateScan records a scan that starts now (status running) and drops
// the scans beyond the newest 1000.
func (db *DB) CreateScan(ctx context.Context, s *homelabcmd.Scan) error {
	return db.inTx(ctx, func(tx *Tx) error {
		out, err := scanScan(tx.QueryRowContext(ctx, `INSERT INTO scans (hostname, port, username, scan_type, status, requested_by, started_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+scanColumns, s.Hostname, s.Port, s.Username, s.ScanType, homelabcmd.ScanRunning, s.RequestedBy, tx.now))
		if err != nil {
			return err
		}
		*s = *out
		_, err = tx.ExecContext(ctx, `DELETE FROM scans WHERE id <= $1`, s.ID-keptScans)
		return err
	})
}

// FinishScan stores a scan's outcome: results, or the error that ended it.
func (db *DB) FinishScan(ctx context.Context, id int64, results json.RawMessage, hostKey string, scanErr string) error {
	status := homelabcmd.ScanCompleted
	if scanErr != "" {
		status = homelabcmd.ScanFailed
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE scans SET status = $1, results = $2, host_key = $3, error = $4, completed_at = $5 WHERE id = $6`,
			status, sql.NullString{String: string(results), Valid: len(results) > 0}, sql.NullString{String: hostKey, Valid: hostKey != ""},
			sql.NullString{String: scanErr, Valid: scanErr != ""}, tx.now, id)
		return err
	})
}

// FindScan returns a scan. ENOTFOUND.
func (db *DB) FindScan(ctx context.Context, id int64) (*homelabcmd.Scan, error) {
	s, err := scanScan(db.read.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = $1`, id))
	return s, notFound(err, "Scan %d not found", id)
}

// ListScans returns scans newest first, with at most limit rows after offset.
func (db *DB) ListScans(ctx context.Context, limit, offset int) ([]*homelabcmd.Scan, int, error) {
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM scans`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+scanColumns+` FROM scans ORDER BY id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*homelabcmd.Scan{}
	for rows.Next() {
		s, err := scanScan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, s)
	}
	return out, total, rows.Err()
}

// DeleteScan removes a scan from the history. ENOTFOUND.
func (db *DB) DeleteScan(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM scans WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return homelabcmd.Errorf(homelabcmd.ENOTFOUND, "Scan %d not found", id)
		}
		return nil
	})
}

const discoveryColumns = `id, subnet, status, devices, error, requested_by, started_at, completed_at, method`

func scanDiscovery(row scanner) (*homelabcmd.Discovery, error) {
	var d homelabcmd.Discovery
	var devices, errText, method sql.NullString
	var done sql.NullTime
	if err := row.Scan(&d.ID, &d.Subnet, &d.Status, &devices, &errText, &d.RequestedBy, &d.StartedAt, &done, &method); err != nil {
		return nil, err
	}
	d.Devices = []homelabcmd.DiscoveredDevice{}
	if devices.Valid {
		if err := json.Unmarshal([]byte(devices.String), &d.Devices); err != nil {
			return nil, err
		}
	}
	if errText.Valid {
		d.Error = &errText.String
	}
	d.Method = method.String
	d.StartedAt, d.CompletedAt = d.StartedAt.UTC(), timePtr(done)
	return &d, nil
}

// CreateDiscovery records a sweep that starts now (status running) and
// drops the sweeps beyond the newest 100.
func (db *DB) CreateDiscovery(ctx context.Context, d *homelabcmd.Discovery) error {
	return db.inTx(ctx, func(tx *Tx) error {
		out, err := scanDiscovery(tx.QueryRowContext(ctx, `INSERT INTO discoveries (subnet, status, requested_by, started_at)
			VALUES ($1, 'running', $2, $3) RETURNING `+discoveryColumns, d.Subnet, d.RequestedBy, tx.now))
		if err != nil {
			return err
		}
		*d = *out
		_, err = tx.ExecContext(ctx, `DELETE FROM discoveries WHERE id <= $1`, d.ID-keptDiscoveries)
		return err
	})
}

// FinishDiscovery stores a sweep's devices and how it probed (method), or
// the error that ended it.
func (db *DB) FinishDiscovery(ctx context.Context, id int64, devices []homelabcmd.DiscoveredDevice, method, sweepErr string) error {
	status := "completed"
	if sweepErr != "" {
		status = "failed"
	}
	if devices == nil {
		devices = []homelabcmd.DiscoveredDevice{}
	}
	b, err := json.Marshal(devices)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE discoveries SET status = $1, devices = $2, error = $3, completed_at = $4, method = $5 WHERE id = $6`,
			status, string(b), sql.NullString{String: sweepErr, Valid: sweepErr != ""}, tx.now, sql.NullString{String: method, Valid: method != ""}, id)
		return err
	})
}

// FindDiscovery returns a sweep. ENOTFOUND.
func (db *DB) FindDiscovery(ctx context.Context, id int64) (*homelabcmd.Discovery, error) {
	d, err := scanDiscovery(db.read.QueryRowContext(ctx, `SELECT `+discoveryColumns+` FROM discoveries WHERE id = $1`, id))
	return d, notFound(err, "Discovery %d not found", id)
}

// LatestDiscovery returns the newest completed sweep, nil when none.
func (db *DB) LatestDiscovery(ctx context.Context) (*homelabcmd.Discovery, error) {
	d, err := scanDiscovery(db.read.QueryRowContext(ctx, `SELECT `+discoveryColumns+` FROM discoveries WHERE status = 'completed' ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return d, err
}

// AddRemoteAudit appends to the agentless audit trail.
func (db *DB) AddRemoteAudit(ctx context.Context, a homelabcmd.RemoteAudit) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_audit (at, actor, action, target, server_id, credential, outcome, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tx.now, a.Actor, a.Action, a.Target, a.ServerID, a.Credential, a.Outcome, a.Detail)
		return err
	})
}

// ListRemoteAudit returns the newest audit entries first, at most limit.
func (db *DB) ListRemoteAudit(ctx context.Context, limit int) ([]*homelabcmd.RemoteAudit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, actor, action, target, server_id, credential, outcome, detail
		FROM remote_audit ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.RemoteAudit{}
	for rows.Next() {
		var a homelabcmd.RemoteAudit
		var sid sql.NullString
		if err := rows.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Target, &sid, &a.Credential, &a.Outcome, &a.Detail); err != nil {
			return nil, err
		}
		if sid.Valid {
			a.ServerID = &sid.String
		}
		a.At = a.At.UTC()
		out = append(out, &a)
	}
	return out, rows.Err()
}

// RemoteSetting returns a setting's JSON value, "" when unset.
func (db *DB) RemoteSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM remote_settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// PutRemoteSetting sets a setting ("" deletes it).
func (db *DB) PutRemoteSetting(ctx context.Context, name, value string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if value == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM remote_settings WHERE name = $1`, name)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_settings (name, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, tx.now)
		return err
	})
}

// keptConfigChecks is how many checks per server are kept.
const keptConfigChecks = 100

// AddConfigCheck stores a check (setting ID and CheckedAt) and drops the
// server's checks beyond the newest 100. ENOTFOUND (no such server).
func (db *DB) AddConfigCheck(ctx context.Context, c *homelabcmd.ConfigCheckRecord) error {
	packs, err := json.Marshal(c.Packs)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		c.CheckedAt = tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO config_checks (server_id, packs, is_compliant, mismatches, items, checked_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.ServerID, string(packs), c.Compliant, c.Mismatches, string(c.Items), tx.now).Scan(&c.ID)
		if err != nil {
			return translate(err, "", "Server '"+c.ServerID+"' not found")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM config_checks WHERE server_id = $1 AND id <= $2`, c.ServerID, c.ID-keptConfigChecks)
		return err
	})
}

// ListConfigChecks returns a server's checks, newest first, at most limit.
func (db *DB) ListConfigChecks(ctx context.Context, serverID string, limit int) ([]*homelabcmd.ConfigCheckRecord, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, server_id, packs, is_compliant, mismatches, items, checked_at
		FROM config_checks WHERE server_id = $1 ORDER BY id DESC LIMIT $2`, serverID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*homelabcmd.ConfigCheckRecord{}
	for rows.Next() {
		var c homelabcmd.ConfigCheckRecord
		var packs, items string
		if err := rows.Scan(&c.ID, &c.ServerID, &packs, &c.Compliant, &c.Mismatches, &items, &c.CheckedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(packs), &c.Packs); err != nil {
			return nil, err
		}
		c.Items, c.CheckedAt = json.RawMessage(items), c.CheckedAt.UTC()
		out = append(out, &c)
	}
	return out, rows.Err()
}
