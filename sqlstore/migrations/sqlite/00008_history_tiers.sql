-- Sparse service history and metric rollups. sampled_at remembers when a
-- service last got a history row, so while its state is unchanged a row is
-- kept at most every N minutes (every transition is always kept). Hourly and
-- daily rollups (min, avg, max) are computed before raw rows are pruned.
-- +goose Up
ALTER TABLE service_current_status ADD COLUMN sampled_at DATETIME;

CREATE TABLE metrics_hourly (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    timestamp    DATETIME     NOT NULL,
    cpu_avg      FLOAT, cpu_min FLOAT, cpu_max FLOAT,
    memory_avg   FLOAT, memory_min FLOAT, memory_max FLOAT,
    disk_avg     FLOAT, disk_min FLOAT, disk_max FLOAT,
    sample_count INTEGER      NOT NULL,
    CONSTRAINT uq_metrics_hourly_server_ts UNIQUE (server_id, timestamp)
);

CREATE TABLE metrics_daily (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    timestamp    DATETIME     NOT NULL,
    cpu_avg      FLOAT, cpu_min FLOAT, cpu_max FLOAT,
    memory_avg   FLOAT, memory_min FLOAT, memory_max FLOAT,
    disk_avg     FLOAT, disk_min FLOAT, disk_max FLOAT,
    sample_count INTEGER      NOT NULL,
    CONSTRAINT uq_metrics_daily_server_ts UNIQUE (server_id, timestamp)
);

-- +goose Down
DROP TABLE metrics_daily;
DROP TABLE metrics_hourly;
ALTER TABLE service_current_status DROP COLUMN sampled_at;
