-- Service history keeps one index: (server_id, service_name, timestamp)
-- serves the history and uptime reads, the cascade from servers and the
-- prune (per service, see sqlstore/retention.go). (server_id, timestamp)
-- was used by the prune alone and cost a quarter of a month's growth.
-- +goose Up
DROP INDEX idx_service_status_server_time;

-- +goose Down
CREATE INDEX idx_service_status_server_time ON service_status (server_id, timestamp);
