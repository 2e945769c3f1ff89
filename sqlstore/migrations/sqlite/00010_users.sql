-- Accounts with roles and scoped API tokens. Passwords are argon2id hashes
-- (PHC strings); token secrets are SHA-256 hashes. oidc_subject links an
-- account to its OpenID provider's issuer and subject (single sign-on). A
-- dashboard session now names its user; one without a user was opened with
-- the operator key.
-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      VARCHAR(64)  NOT NULL UNIQUE,
    password_hash VARCHAR(200) NOT NULL,
    role          VARCHAR(20)  NOT NULL,
    oidc_subject  VARCHAR(300) UNIQUE,
    last_login_at DATETIME,
    created_at    DATETIME     NOT NULL,
    updated_at    DATETIME     NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         VARCHAR(64)  NOT NULL UNIQUE,
    role         VARCHAR(20)  NOT NULL,
    token_hash   VARCHAR(64)  NOT NULL UNIQUE,
    token_prefix VARCHAR(32)  NOT NULL,
    created_by   VARCHAR(64)  NOT NULL,
    expires_at   DATETIME,
    last_used_at DATETIME,
    created_at   DATETIME     NOT NULL
);

ALTER TABLE web_sessions ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX idx_web_sessions_user ON web_sessions (user_id);

-- +goose Down
DROP INDEX idx_web_sessions_user;
ALTER TABLE web_sessions DROP COLUMN user_id;
DROP TABLE api_tokens;
DROP TABLE users;
