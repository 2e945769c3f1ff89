-- PL0021: expected services per server and the service status history,
-- exactly as the spec gives them (columns, unique constraint, indices,
-- ON DELETE CASCADE to servers).
-- +goose Up
CREATE TABLE expected_services (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    service_name VARCHAR(255) NOT NULL,
    display_name VARCHAR(255),
    is_critical  BOOLEAN      NOT NULL DEFAULT 0,
    enabled      BOOLEAN      NOT NULL DEFAULT 1,
    created_at   DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_server_service_name UNIQUE (server_id, service_name)
);
CREATE INDEX idx_expected_services_server ON expected_services (server_id);

CREATE TABLE service_status (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    service_name VARCHAR(255) NOT NULL,
    status       VARCHAR(20)  NOT NULL,
    pid          INTEGER,
    memory_mb    FLOAT,
    cpu_percent  FLOAT,
    timestamp    DATETIME     NOT NULL
);
CREATE INDEX idx_service_status_server_time ON service_status (server_id, timestamp);
CREATE INDEX idx_service_status_service ON service_status (server_id, service_name, timestamp);

-- +goose Down
DROP TABLE service_status;
DROP TABLE expected_services;
