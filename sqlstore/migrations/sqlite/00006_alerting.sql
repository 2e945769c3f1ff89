-- Alerting: per-rule state between heartbeats (metric sustain windows,
-- missing-service counters, restart grace periods, last notification),
-- notification channels, and the notification outbox that every alert
-- transition writes in its own transaction. Outbox rows move
-- queued → sending → sent | failed; a dispatcher claims them with a lease.
-- +goose Up
CREATE TABLE alert_rule_state (
    server_id        VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    rule_key         VARCHAR(300) NOT NULL,
    first_breach_at  DATETIME,
    missing_count    INTEGER      NOT NULL DEFAULT 0,
    grace_until      DATETIME,
    restarts         INTEGER,
    last_notified_at DATETIME,
    updated_at       DATETIME     NOT NULL,
    PRIMARY KEY (server_id, rule_key)
);

CREATE TABLE notification_channels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          VARCHAR(100) NOT NULL UNIQUE,
    type          VARCHAR(20)  NOT NULL,
    config        TEXT         NOT NULL,
    min_severity  VARCHAR(20)  NOT NULL DEFAULT 'medium',
    send_resolved BOOLEAN      NOT NULL DEFAULT 1,
    enabled       BOOLEAN      NOT NULL DEFAULT 1,
    created_at    DATETIME     NOT NULL,
    updated_at    DATETIME     NOT NULL
);

CREATE TABLE notification_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id      INTEGER      NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    alert_id        INTEGER      REFERENCES alerts (id) ON DELETE SET NULL,
    event           VARCHAR(20)  NOT NULL,
    payload         TEXT         NOT NULL,
    status          VARCHAR(20)  NOT NULL DEFAULT 'queued',
    attempts        INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at DATETIME     NOT NULL,
    claimed_by      VARCHAR(100),
    claimed_until   DATETIME,
    last_error      TEXT,
    created_at      DATETIME     NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX idx_notification_outbox_due ON notification_outbox (status, next_attempt_at);
CREATE INDEX idx_notification_outbox_alert ON notification_outbox (alert_id);

-- +goose Down
DROP TABLE notification_outbox;
DROP TABLE notification_channels;
DROP TABLE alert_rule_state;
