-- The units an agent can see (issue 15): the latest inventory per server,
-- offered by the dashboard's "Add service" picker, and when the agent's
-- own monitored services were adopted as expected services (once).
-- +goose Up
CREATE TABLE unit_inventory (
    server_id   VARCHAR(100) PRIMARY KEY REFERENCES servers (id) ON DELETE CASCADE,
    units       TEXT NOT NULL DEFAULT '[]',
    reported_at TIMESTAMPTZ,
    adopted_at  TIMESTAMPTZ
);

-- +goose Down
DROP TABLE unit_inventory;
