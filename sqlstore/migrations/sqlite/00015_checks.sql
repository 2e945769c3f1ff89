-- Checks from inside the LAN (issue 21): probes defined on the hub (http,
-- tcp, dns, ping, tls) and run by agents. A check runs on the servers in
-- check_servers, or on every agent (all_agents). Its state is a quorum
-- across the agents that report it, so it has its own tables instead of a
-- row per server in the services tables: check_status is each agent's
-- current view (failures in a row against the check's retries),
-- check_results the history (pruned with the raw
-- metrics' retention). rule_state is the alert rules' memory for the
-- check (flap control), as JSON; its alert is an ordinary alert (type
-- 'check', service_name the check's name) filed under the server whose
-- report opened it.
-- +goose Up
CREATE TABLE checks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             VARCHAR(100) NOT NULL UNIQUE,
    check_type       VARCHAR(10)  NOT NULL,
    target           VARCHAR(2048) NOT NULL,
    interval_seconds INTEGER      NOT NULL,
    timeout_seconds  INTEGER      NOT NULL,
    retries          INTEGER      NOT NULL DEFAULT 0,
    critical         BOOLEAN      NOT NULL DEFAULT FALSE,
    quorum           INTEGER      NOT NULL DEFAULT 0,
    enabled          BOOLEAN      NOT NULL DEFAULT TRUE,
    all_agents       BOOLEAN      NOT NULL DEFAULT FALSE,
    options          TEXT         NOT NULL,
    rule_state       TEXT,
    created_at       DATETIME  NOT NULL,
    updated_at       DATETIME  NOT NULL
);

CREATE TABLE check_servers (
    check_id  INTEGER      NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    server_id VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    PRIMARY KEY (check_id, server_id)
);
CREATE INDEX idx_check_servers_server ON check_servers (server_id);

CREATE TABLE check_status (
    check_id        INTEGER      NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    server_id       VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    status          VARCHAR(10)  NOT NULL,
    failures        INTEGER      NOT NULL DEFAULT 0,
    latency_ms      FLOAT,
    status_code     INTEGER,
    error           VARCHAR(500),
    cert_expires_at DATETIME,
    method          VARCHAR(10),
    checked_at      DATETIME  NOT NULL,
    changed_at      DATETIME  NOT NULL,
    PRIMARY KEY (check_id, server_id)
);

CREATE TABLE check_results (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id    INTEGER      NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    server_id   VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    status      VARCHAR(10)  NOT NULL,
    latency_ms  FLOAT,
    error       VARCHAR(500),
    timestamp   DATETIME  NOT NULL
);
CREATE INDEX idx_check_results_check_time ON check_results (check_id, timestamp);
CREATE INDEX idx_check_results_server_time ON check_results (server_id, timestamp);

-- The engine finds a check's unresolved alert (on whichever server) by name.
CREATE INDEX idx_alerts_unresolved_check ON alerts (service_name) WHERE alert_type = 'check' AND status <> 'resolved';

-- +goose Down
DROP INDEX idx_alerts_unresolved_check;
DROP TABLE check_results;
DROP TABLE check_status;
DROP TABLE check_servers;
DROP TABLE checks;
