-- A server reached over SSH through another server as a jump host
-- (ProxyJump, one hop). No foreign key: SQLite cannot drop a column that
-- has one; the hub checks the server exists when the target is set and
-- when it connects.
-- +goose Up
ALTER TABLE ssh_targets ADD COLUMN jump_server_id VARCHAR(100);

-- +goose Down
ALTER TABLE ssh_targets DROP COLUMN jump_server_id;
