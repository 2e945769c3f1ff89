-- Machines without an agent (issue 20): SSH credentials sealed with the
-- hub's key file (AES-GCM; the key is never in the database), host keys
-- pinned on first use, how to reach a server over SSH, scan, discovery and
-- configuration check history, the audit trail of every SSH use, and the feature's settings.
-- +goose Up
CREATE TABLE ssh_credentials (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id       VARCHAR(100) REFERENCES servers (id) ON DELETE CASCADE,
    credential_type VARCHAR(32)  NOT NULL,
    sealed          TEXT         NOT NULL,
    created_by      VARCHAR(100) NOT NULL,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
-- One credential of a type per server, and one default (server_id NULL).
CREATE UNIQUE INDEX uq_ssh_credentials_scope ON ssh_credentials (credential_type, COALESCE(server_id, ''));

CREATE TABLE ssh_host_keys (
    addr        VARCHAR(300) PRIMARY KEY,
    key_type    VARCHAR(64)  NOT NULL,
    public_key  TEXT         NOT NULL,
    fingerprint VARCHAR(100) NOT NULL,
    first_seen  DATETIME NOT NULL
);

CREATE TABLE ssh_targets (
    server_id VARCHAR(100) PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    host      VARCHAR(255) NOT NULL,
    port      INTEGER      NOT NULL,
    username  VARCHAR(32)  NOT NULL
);

CREATE TABLE scans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    hostname     VARCHAR(255) NOT NULL,
    port         INTEGER      NOT NULL,
    username     VARCHAR(32)  NOT NULL,
    scan_type    VARCHAR(16)  NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    error        TEXT,
    results      TEXT,
    host_key     VARCHAR(100),
    requested_by VARCHAR(100) NOT NULL,
    started_at   DATETIME NOT NULL,
    completed_at DATETIME
);
CREATE INDEX ix_scans_started ON scans (started_at);

CREATE TABLE discoveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    subnet       VARCHAR(64)  NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    devices      TEXT,
    error        TEXT,
    requested_by VARCHAR(100) NOT NULL,
    started_at   DATETIME NOT NULL,
    completed_at DATETIME
);

CREATE TABLE remote_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         DATETIME NOT NULL,
    actor      VARCHAR(100) NOT NULL,
    action     VARCHAR(32)  NOT NULL,
    target     VARCHAR(300) NOT NULL,
    server_id  VARCHAR(100),
    credential VARCHAR(200) NOT NULL,
    outcome    VARCHAR(16)  NOT NULL,
    detail     TEXT         NOT NULL
);
CREATE INDEX ix_remote_audit_at ON remote_audit (at);

-- Configuration pack checks: the newest 100 per server are kept.
CREATE TABLE config_checks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id    VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    packs        TEXT         NOT NULL,
    is_compliant BOOLEAN      NOT NULL,
    mismatches   INTEGER      NOT NULL,
    items        TEXT         NOT NULL,
    checked_at   DATETIME NOT NULL
);
CREATE INDEX ix_config_checks_server ON config_checks (server_id, id);

CREATE TABLE remote_settings (
    name       VARCHAR(64) PRIMARY KEY,
    value      TEXT        NOT NULL,
    updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE remote_settings;
DROP TABLE config_checks;
DROP TABLE remote_audit;
DROP TABLE discoveries;
DROP TABLE scans;
DROP TABLE ssh_targets;
DROP TABLE ssh_host_keys;
DROP TABLE ssh_credentials;
