-- Parity with the original HomelabCmd (issue 17).
-- notification_channels.severities: the severities a channel takes, as a
-- JSON list (NULL: every one from min_severity up); the original's
-- notify_on_critical/notify_on_high toggles drive the "slack" channel's.
-- server_daily_costs: each server's electricity cost for a finished UTC
-- day at that day's rate and currency (the original's capture_daily_costs),
-- so a later rate change does not rewrite history. One row per server and
-- day: several hubs taking the same snapshot store it once.
-- +goose Up
ALTER TABLE notification_channels ADD COLUMN severities TEXT;
CREATE TABLE server_daily_costs (
    server_id       VARCHAR(100)     NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    day             VARCHAR(10)      NOT NULL,
    hours_online    DOUBLE PRECISION NOT NULL,
    cpu_avg_percent DOUBLE PRECISION,
    avg_watts       DOUBLE PRECISION NOT NULL,
    kwh             DOUBLE PRECISION NOT NULL,
    cost            DOUBLE PRECISION NOT NULL,
    rate            DOUBLE PRECISION NOT NULL,
    currency_symbol VARCHAR(10)      NOT NULL,
    captured_at     TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (server_id, day)
);

-- +goose Down
DROP TABLE server_daily_costs;
ALTER TABLE notification_channels DROP COLUMN severities;
