-- Containers (issue 12): one model for what must run. Expected units,
-- their history and current status get a kind ('systemd' | 'container'),
-- and a unit is unique per (server, kind, name), so a container may share
-- a name with a systemd unit. SQLite cannot change a UNIQUE constraint or a
-- primary key in place: both tables are rebuilt with their rows kept (no
-- table references them). service_current_status also keeps a container's
-- facts (image, health, exit code…) as JSON in detail. Container actions
-- get the same "one active per unit" guarantee as service restarts.
-- +goose Up
CREATE TABLE expected_services_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    kind         VARCHAR(20)  NOT NULL DEFAULT 'systemd',
    service_name VARCHAR(255) NOT NULL,
    display_name VARCHAR(255),
    is_critical  BOOLEAN      NOT NULL DEFAULT 0,
    enabled      BOOLEAN      NOT NULL DEFAULT 1,
    created_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_server_kind_service_name UNIQUE (server_id, kind, service_name)
);
INSERT INTO expected_services_new (id, server_id, kind, service_name, display_name, is_critical, enabled, created_at)
    SELECT id, server_id, 'systemd', service_name, display_name, is_critical, enabled, created_at FROM expected_services;
DROP TABLE expected_services;
ALTER TABLE expected_services_new RENAME TO expected_services;
CREATE INDEX idx_expected_services_server ON expected_services (server_id);

CREATE TABLE service_current_status_new (
    server_id     VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    kind          VARCHAR(20)  NOT NULL DEFAULT 'systemd',
    service_name  VARCHAR(255) NOT NULL,
    status        VARCHAR(20)  NOT NULL,
    status_reason VARCHAR(255),
    pid           INTEGER,
    memory_mb     FLOAT,
    cpu_percent   FLOAT,
    restarts      INTEGER,
    timestamp     DATETIME     NOT NULL,
    updated_at    DATETIME     NOT NULL,
    sampled_at    DATETIME,
    detail        TEXT,
    PRIMARY KEY (server_id, kind, service_name)
);
INSERT INTO service_current_status_new (server_id, kind, service_name, status, status_reason, pid, memory_mb, cpu_percent,
        restarts, timestamp, updated_at, sampled_at)
    SELECT server_id, 'systemd', service_name, status, status_reason, pid, memory_mb, cpu_percent,
        restarts, timestamp, updated_at, sampled_at FROM service_current_status;
DROP TABLE service_current_status;
ALTER TABLE service_current_status_new RENAME TO service_current_status;

ALTER TABLE service_status ADD COLUMN kind VARCHAR(20) NOT NULL DEFAULT 'systemd';

CREATE UNIQUE INDEX uq_remediation_actions_active_container ON remediation_actions (server_id, service_name)
    WHERE action_type IN ('restart_container', 'start_container', 'stop_container') AND status IN ('pending', 'approved', 'executing');

-- +goose Down
DROP INDEX uq_remediation_actions_active_container;
DELETE FROM service_status WHERE kind <> 'systemd';
ALTER TABLE service_status DROP COLUMN kind;

CREATE TABLE service_current_status_old (
    server_id     VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    service_name  VARCHAR(255) NOT NULL,
    status        VARCHAR(20)  NOT NULL,
    status_reason VARCHAR(255),
    pid           INTEGER,
    memory_mb     FLOAT,
    cpu_percent   FLOAT,
    restarts      INTEGER,
    timestamp     DATETIME     NOT NULL,
    updated_at    DATETIME     NOT NULL,
    sampled_at    DATETIME,
    PRIMARY KEY (server_id, service_name)
);
INSERT INTO service_current_status_old (server_id, service_name, status, status_reason, pid, memory_mb, cpu_percent,
        restarts, timestamp, updated_at, sampled_at)
    SELECT server_id, service_name, status, status_reason, pid, memory_mb, cpu_percent, restarts, timestamp, updated_at, sampled_at
    FROM service_current_status WHERE kind = 'systemd';
DROP TABLE service_current_status;
ALTER TABLE service_current_status_old RENAME TO service_current_status;

CREATE TABLE expected_services_old (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    service_name VARCHAR(255) NOT NULL,
    display_name VARCHAR(255),
    is_critical  BOOLEAN      NOT NULL DEFAULT 0,
    enabled      BOOLEAN      NOT NULL DEFAULT 1,
    created_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_server_service_name UNIQUE (server_id, service_name)
);
INSERT INTO expected_services_old (id, server_id, service_name, display_name, is_critical, enabled, created_at)
    SELECT id, server_id, service_name, display_name, is_critical, enabled, created_at FROM expected_services WHERE kind = 'systemd';
DROP TABLE expected_services;
ALTER TABLE expected_services_old RENAME TO expected_services;
CREATE INDEX idx_expected_services_server ON expected_services (server_id);
