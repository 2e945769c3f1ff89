-- Servers and their raw host metrics samples.
-- +goose Up
CREATE TABLE servers (
    id                VARCHAR(100) PRIMARY KEY,
    guid              VARCHAR(36),
    hostname          VARCHAR(255) NOT NULL,
    display_name      VARCHAR(255),
    ip_address        VARCHAR(45),
    status            VARCHAR(20)  NOT NULL DEFAULT 'unknown',
    machine_type      VARCHAR(20)  NOT NULL DEFAULT 'server',
    is_paused         BOOLEAN      NOT NULL DEFAULT 0,
    paused_at         DATETIME,
    is_inactive       BOOLEAN      NOT NULL DEFAULT 0,
    inactive_since    DATETIME,
    last_seen         DATETIME,
    os_distribution   VARCHAR(100),
    os_version        VARCHAR(100),
    kernel_version    VARCHAR(100),
    architecture      VARCHAR(20),
    cpu_model         VARCHAR(255),
    cpu_cores         INTEGER,
    agent_version     VARCHAR(20),
    agent_mode        VARCHAR(20),
    updates_available INTEGER,
    security_updates  INTEGER,
    tdp_watts         INTEGER,
    filesystems       TEXT,
    network_interfaces TEXT,
    created_at        DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX ix_servers_guid ON servers (guid);

CREATE TABLE metrics (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id        VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    timestamp        DATETIME     NOT NULL,
    cpu_percent      FLOAT,
    memory_percent   FLOAT,
    memory_total_mb  INTEGER,
    memory_used_mb   INTEGER,
    disk_percent     FLOAT,
    disk_total_gb    FLOAT,
    disk_used_gb     FLOAT,
    network_rx_bytes BIGINT,
    network_tx_bytes BIGINT,
    load_1m          FLOAT,
    load_5m          FLOAT,
    load_15m         FLOAT,
    uptime_seconds   INTEGER
);
CREATE INDEX idx_metrics_server_timestamp ON metrics (server_id, timestamp);

-- +goose Down
DROP TABLE metrics;
DROP TABLE servers;
