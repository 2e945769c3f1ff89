package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

const serverColumns = `id, guid, hostname, display_name, ip_address, status, machine_type,
	is_paused, paused_at, is_inactive, inactive_since, last_seen,
	os_distribution, os_version, kernel_version, architecture, cpu_model, cpu_cores,
	agent_version, agent_mode, updates_available, security_updates, tdp_watts,
	filesystems, network_interfaces, created_at, updated_at, clock_offset_ms, clock_skewed, tags, capabilities,
	machine_category, machine_category_source, idle_watts`

type scanner interface{ Scan(dest ...any) error }

func scanServer(row scanner) (*homelabcmd.Server, error) {
	var s homelabcmd.Server
	var pausedAt, inactiveSince, lastSeen sql.NullTime
	var fs, nics sql.NullString
	var offset sql.NullInt64
	var tags, caps sql.NullString
	err := row.Scan(&s.ID, &s.GUID, &s.Hostname, &s.DisplayName, &s.IPAddress, &s.Status, &s.MachineType,
		&s.IsPaused, &pausedAt, &s.IsInactive, &inactiveSince, &lastSeen,
		&s.OSDistribution, &s.OSVersion, &s.KernelVersion, &s.Architecture, &s.CPUModel, &s.CPUCores,
		&s.AgentVersion, &s.AgentMode, &s.UpdatesAvail, &s.SecurityUpdates, &s.TDPWatts,
		&fs, &nics, &s.CreatedAt, &s.UpdatedAt, &offset, &s.ClockSkewed, &tags, &caps,
		&s.MachineCategory, &s.MachineCategorySource, &s.IdleWatts)
	if err != nil {
		return nil, err
	}
	s.Capabilities = splitCapabilities(caps)
	if offset.Valid {
		sec := float64(offset.Int64) / 1000
		s.ClockOffsetSeconds = &sec
	}
	s.PausedAt, s.InactiveSince, s.LastSeen = timePtr(pausedAt), timePtr(inactiveSince), timePtr(lastSeen)
	s.AgentOutdated = homelabcmd.AgentOutdated(s.AgentVersion)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	if fs.Valid {
		_ = json.Unmarshal([]byte(fs.String), &s.Filesystems) // written by us; a bad snapshot is only cosmetic
	}
	if nics.Valid {
		_ = json.Unmarshal([]byte(nics.String), &s.NetworkInterfaces)
	}
	s.Tags = []string{}
	if tags.Valid {
		_ = json.Unmarshal([]byte(tags.String), &s.Tags) // written by UpdateServer from a validated list
	}
	return &s, nil
}

// CreateServer inserts a server. It returns EINVALID for bad fields and
// ECONFLICT when the id (or GUID) is taken.
func (db *DB) CreateServer(ctx context.Context, s *homelabcmd.Server) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if s.Status == "" {
			s.Status = homelabcmd.ServerUnknown
		}
		s.CreatedAt, s.UpdatedAt = tx.now, tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO servers (id, guid, hostname, display_name, ip_address, status,
			machine_type, tdp_watts, is_paused, is_inactive, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, FALSE, $9, $9)`,
			s.ID, s.GUID, s.Hostname, s.DisplayName, s.IPAddress, s.Status, s.MachineType, s.TDPWatts, tx.now)
		return translate(err, "Server '"+s.ID+"' already exists", "")
	})
}

// FindServer returns one server, or ENOTFOUND.
func (db *DB) FindServer(ctx context.Context, id string) (*homelabcmd.Server, error) {
	return findServer(ctx, db.read, id)
}

func findServer(ctx context.Context, q querier, id string) (*homelabcmd.Server, error) {
	s, err := scanServer(q.QueryRowContext(ctx, `SELECT `+serverColumns+` FROM servers WHERE id = $1`, id))
	return s, notFound(err, "Server '%s' not found", id)
}

// ListServers returns every server, ordered by id.
func (db *DB) ListServers(ctx context.Context) ([]*homelabcmd.Server, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+serverColumns+` FROM servers ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*homelabcmd.Server
	for rows.Next() {
		s, err := scanServer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// UpdateServer applies the fields present in upd. ENOTFOUND, EINVALID.
func (db *DB) UpdateServer(ctx context.Context, id string, upd homelabcmd.ServerUpdate) (*homelabcmd.Server, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	var out *homelabcmd.Server
	err := db.inTx(ctx, func(tx *Tx) error {
		sets, args := []string{}, []any{}
		add := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, col+" = $"+itoa(len(args)))
		}
		if upd.Hostname != nil {
			add("hostname", *upd.Hostname)
		}
		if upd.DisplayName != nil {
			add("display_name", *upd.DisplayName)
		}
		if upd.IPAddress != nil {
			add("ip_address", *upd.IPAddress)
		}
		if upd.TDPWatts != nil {
			add("tdp_watts", *upd.TDPWatts)
		}
		if upd.MachineType != nil {
			add("machine_type", *upd.MachineType)
		}
		if upd.IdleWatts != nil {
			add("idle_watts", *upd.IdleWatts)
		}
		if c := upd.MachineCategory; c != nil {
			src := homelabcmd.CategorySourceUser
			if upd.MachineCategorySource != nil && *upd.MachineCategorySource != "" {
				src = *upd.MachineCategorySource
			}
			if *c == "" {
				add("machine_category", nil)
				add("machine_category_source", nil)
			} else {
				add("machine_category", *c)
				add("machine_category_source", src)
			}
		} else if s := upd.MachineCategorySource; s != nil {
			if *s == "" {
				add("machine_category_source", nil)
			} else {
				add("machine_category_source", *s)
			}
		}
		if upd.Tags != nil {
			b, _ := json.Marshal(*upd.Tags)
			add("tags", string(b))
		}
		add("updated_at", tx.now)
		args = append(args, id)
		res, err := tx.ExecContext(ctx, `UPDATE servers SET `+strings.Join(sets, ", ")+` WHERE id = $`+itoa(len(args)), args...)
		if err := mustAffect(res, err, "Server '%s' not found", id); err != nil {
			return err
		}
		out, err = findServer(ctx, tx, id)
		return err
	})
	return out, err
}

// SetServerPaused turns maintenance mode on or off. ENOTFOUND.
func (db *DB) SetServerPaused(ctx context.Context, id string, paused bool) (out *homelabcmd.Server, err error) {
	err = db.inTx(ctx, func(tx *Tx) (err error) {
		out, err = tx.SetServerPaused(ctx, id, paused)
		return err
	})
	return out, err
}

// SetServerPaused is SetServerPaused in a transaction.
func (tx *Tx) SetServerPaused(ctx context.Context, id string, paused bool) (*homelabcmd.Server, error) {
	var pausedAt any
	if paused {
		pausedAt = tx.now
	}
	res, err := tx.ExecContext(ctx, `UPDATE servers SET is_paused = $1, paused_at = $2, updated_at = $3 WHERE id = $4`,
		paused, pausedAt, tx.now, id)
	if err := mustAffect(res, err, "Server '%s' not found", id); err != nil {
		return nil, err
	}
	return findServer(ctx, tx, id)
}

// DeleteServer removes a server; the database cascades to its expected
// services, status history, metrics and alerts. ENOTFOUND.
func (db *DB) DeleteServer(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM servers WHERE id = $1`, id)
		return mustAffect(res, err, "Server '%s' not found", id)
	})
}

// splitCapabilities reads the capabilities column: nil when NULL (no
// heartbeat yet), else the comma-separated list.
func splitCapabilities(v sql.NullString) []string {
	if !v.Valid {
		return nil
	}
	if v.String == "" {
		return []string{}
	}
	return strings.Split(v.String, ",")
}
