-- Alerts. service_name is a real column (the original matched services by a
-- substring of the title), and dedup_key with a partial unique index lets the
-- database guarantee one unresolved alert per (server, key).
-- +goose Up
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id       VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    alert_type      VARCHAR(20)  NOT NULL,
    severity        VARCHAR(20)  NOT NULL,
    status          VARCHAR(20)  NOT NULL DEFAULT 'open',
    title           VARCHAR(255) NOT NULL,
    message         TEXT,
    service_name    VARCHAR(255),
    dedup_key       VARCHAR(300) NOT NULL,
    threshold_value FLOAT,
    actual_value    FLOAT,
    created_at      DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    acknowledged_at DATETIME,
    resolved_at     DATETIME,
    auto_resolved   BOOLEAN      NOT NULL DEFAULT 0
);
CREATE INDEX idx_alerts_server_status ON alerts (server_id, status);
CREATE INDEX idx_alerts_severity_status ON alerts (severity, status);
CREATE INDEX idx_alerts_created_at ON alerts (created_at);
CREATE UNIQUE INDEX uq_alerts_unresolved_key ON alerts (server_id, dedup_key) WHERE status <> 'resolved';

-- +goose Down
DROP TABLE alerts;
