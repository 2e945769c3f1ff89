-- Remediation actions (service restarts) and their audit trail. A partial
-- unique index allows one active restart per service across every hub.
-- +goose Up
CREATE TABLE remediation_actions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id        VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    action_type      VARCHAR(50)  NOT NULL,
    status           VARCHAR(20)  NOT NULL DEFAULT 'pending',
    service_name     VARCHAR(255),
    command          TEXT         NOT NULL,
    alert_id         INTEGER      REFERENCES alerts (id) ON DELETE SET NULL,
    created_at       DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by       VARCHAR(50)  NOT NULL DEFAULT 'dashboard',
    approved_at      DATETIME,
    approved_by      VARCHAR(50),
    rejected_at      DATETIME,
    rejected_by      VARCHAR(50),
    rejection_reason TEXT,
    executed_at      DATETIME,
    completed_at     DATETIME,
    exit_code        INTEGER,
    stdout           TEXT,
    stderr           TEXT,
    failure_reason   VARCHAR(100),
    duration_ms      BIGINT,
    verified         BOOLEAN,
    verified_at      DATETIME
);
CREATE INDEX idx_remediation_actions_server_status ON remediation_actions (server_id, status);
CREATE INDEX idx_remediation_actions_status ON remediation_actions (status);
CREATE UNIQUE INDEX uq_remediation_actions_active_restart ON remediation_actions (server_id, service_name)
    WHERE action_type = 'restart_service' AND status IN ('pending', 'approved', 'executing');

CREATE TABLE action_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id   INTEGER      NOT NULL REFERENCES remediation_actions (id) ON DELETE CASCADE,
    at          DATETIME     NOT NULL,
    actor       VARCHAR(100) NOT NULL,
    from_status VARCHAR(20),
    to_status   VARCHAR(20)  NOT NULL,
    detail      TEXT
);
CREATE INDEX idx_action_events_action ON action_events (action_id, id);

-- +goose Down
DROP TABLE action_events;
DROP TABLE remediation_actions;
