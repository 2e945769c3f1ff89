-- Alert quality (issue 14). The hub's clock decides: servers remember the
-- agent's clock offset (agent minus hub, from the last live heartbeat) and
-- that heartbeat's own timestamp, to tell a replay from a skewed clock.
-- Alerts remember when their "opened" went out (NULL: never, e.g. while
-- paused) and why they were resolved when no rule resolved them. Rule states
-- count heartbeats that reported an expected unit as not found, keep when
-- the host booted (uptime going back means a reboot) and when a replayed
-- heartbeat first showed a service down. For flap control and crash loops
-- they keep recent state changes or restart rises (JSON list of unix ms),
-- the last state seen, when flapping began and when a short outage's
-- recovery was first seen. Channels can be limited to servers and alert
-- kinds (JSON lists; NULL: all). Maintenance windows are recurring quiet
-- periods per server or fleet-wide (server_id NULL).
-- +goose Up
ALTER TABLE servers ADD COLUMN clock_offset_ms BIGINT;
ALTER TABLE servers ADD COLUMN clock_report_at DATETIME;
ALTER TABLE servers ADD COLUMN clock_skewed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE alerts ADD COLUMN notified_at DATETIME;
ALTER TABLE alerts ADD COLUMN resolution_reason VARCHAR(255);
UPDATE alerts SET notified_at = created_at;
ALTER TABLE alert_rule_state ADD COLUMN unknown_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alert_rule_state ADD COLUMN booted_at DATETIME;
ALTER TABLE alert_rule_state ADD COLUMN replay_down_since DATETIME;
ALTER TABLE alert_rule_state ADD COLUMN recent_events TEXT;
ALTER TABLE alert_rule_state ADD COLUMN last_status VARCHAR(20);
ALTER TABLE alert_rule_state ADD COLUMN flapping_since DATETIME;
ALTER TABLE notification_channels ADD COLUMN server_ids TEXT;
ALTER TABLE notification_channels ADD COLUMN alert_types TEXT;
ALTER TABLE alert_rule_state ADD COLUMN recovered_at DATETIME;

CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name          VARCHAR(100) NOT NULL,
    server_id     VARCHAR(100) REFERENCES servers (id) ON DELETE CASCADE,
    weekdays      VARCHAR(40)  NOT NULL DEFAULT '',
    start_time    VARCHAR(5)   NOT NULL,
    end_time      VARCHAR(5)   NOT NULL,
    time_zone     VARCHAR(64)  NOT NULL,
    page_critical BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at    DATETIME     NOT NULL
);

-- +goose Down
DROP TABLE maintenance_windows;
ALTER TABLE notification_channels DROP COLUMN alert_types;
ALTER TABLE notification_channels DROP COLUMN server_ids;
ALTER TABLE alert_rule_state DROP COLUMN recovered_at;
ALTER TABLE alert_rule_state DROP COLUMN flapping_since;
ALTER TABLE alert_rule_state DROP COLUMN last_status;
ALTER TABLE alert_rule_state DROP COLUMN recent_events;
ALTER TABLE alert_rule_state DROP COLUMN replay_down_since;
ALTER TABLE alert_rule_state DROP COLUMN booted_at;
ALTER TABLE alert_rule_state DROP COLUMN unknown_count;
ALTER TABLE alerts DROP COLUMN resolution_reason;
ALTER TABLE alerts DROP COLUMN notified_at;
ALTER TABLE servers DROP COLUMN clock_skewed;
ALTER TABLE servers DROP COLUMN clock_report_at;
ALTER TABLE servers DROP COLUMN clock_offset_ms;
