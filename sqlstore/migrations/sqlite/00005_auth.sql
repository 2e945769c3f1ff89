-- Credentials, all stored as SHA-256 hashes: the operator API key (in the
-- config table), per-agent tokens bound to one server, one-time registration
-- tokens, and dashboard sessions. config also holds settings as JSON.
-- +goose Up
CREATE TABLE config (
    key        VARCHAR(100) PRIMARY KEY,
    value      TEXT         NOT NULL,
    updated_at DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE agent_credentials (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id        VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    server_guid      VARCHAR(36)  NOT NULL,
    api_token_hash   VARCHAR(64)  NOT NULL,
    api_token_prefix VARCHAR(32)  NOT NULL,
    last_used_at     DATETIME,
    revoked_at       DATETIME,
    created_at       DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_agent_credentials_guid ON agent_credentials (server_guid);
-- One active credential per agent identity.
CREATE UNIQUE INDEX uq_agent_credentials_active ON agent_credentials (server_guid) WHERE revoked_at IS NULL;

CREATE TABLE registration_tokens (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash           VARCHAR(64)  NOT NULL UNIQUE,
    token_prefix         VARCHAR(32)  NOT NULL,
    mode                 VARCHAR(20)  NOT NULL DEFAULT 'readonly',
    display_name         VARCHAR(255),
    monitored_services   TEXT,
    expires_at           DATETIME     NOT NULL,
    claimed_at           DATETIME,
    claimed_by_server_id VARCHAR(100) REFERENCES servers (id) ON DELETE SET NULL,
    created_at           DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at           DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_registration_tokens_expires ON registration_tokens (expires_at);

CREATE TABLE web_sessions (
    token_hash   VARCHAR(64) PRIMARY KEY,
    created_at   DATETIME    NOT NULL,
    expires_at   DATETIME    NOT NULL
);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE registration_tokens;
DROP TABLE agent_credentials;
DROP TABLE config;
