-- The units an agent can see (issue 15): the latest inventory per server,
-- offered by the dashboard's "Add service" picker, and when the agent's
-- own monitored services were adopted as expected services (once). And the
-- servers' tags (a JSON list of strings).
-- +goose Up
CREATE TABLE unit_inventory (
    server_id   VARCHAR(100) PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    units       TEXT NOT NULL DEFAULT '[]',
    reported_at TIMESTAMPTZ,
    adopted_at  TIMESTAMPTZ
);

ALTER TABLE servers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE servers DROP COLUMN tags;
DROP TABLE unit_inventory;
