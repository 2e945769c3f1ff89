-- The latest reported state of every service, so "current status of all
-- services" is one indexed read instead of a scan of the history.
-- status_reason is added to the history as the original's chain did next.
-- +goose Up
ALTER TABLE service_status ADD COLUMN status_reason VARCHAR(255);

CREATE TABLE service_current_status (
    server_id     VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    service_name  VARCHAR(255) NOT NULL,
    status        VARCHAR(20)  NOT NULL,
    status_reason VARCHAR(255),
    pid           INTEGER,
    memory_mb     DOUBLE PRECISION,
    cpu_percent   DOUBLE PRECISION,
    restarts      INTEGER,
    timestamp     TIMESTAMPTZ  NOT NULL,
    updated_at    TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (server_id, service_name)
);

-- +goose Down
DROP TABLE service_current_status;
ALTER TABLE service_status DROP COLUMN status_reason;
