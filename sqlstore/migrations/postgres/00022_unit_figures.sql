-- The write path of heartbeats (issue 18): a unit's current-status row is
-- written only when its state changes (or a history sample is due); the
-- figures that change with every report (pid, memory, cpu, restarts) and the
-- time of the latest report go in one compact row per server and unit kind,
-- overwritten by each heartbeat, instead of 20 row updates. version changes
-- with every write of the server's unit state (a random number, so a rolled
-- back write never matches): the hub's cache of that state is valid while
-- the version it wrote is still there.
-- +goose Up
CREATE TABLE unit_figures (
    server_id   VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    kind        VARCHAR(20)  NOT NULL,
    reported_at TIMESTAMPTZ  NOT NULL,
    units       TEXT         NOT NULL,
    version     BIGINT       NOT NULL,
    PRIMARY KEY (server_id, kind)
);

-- +goose Down
DROP TABLE unit_figures;
