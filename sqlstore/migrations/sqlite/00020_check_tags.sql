-- Checks assigned by server tag (issue 21): a check runs on every server
-- that has one of its tags, besides the servers named in check_servers
-- (or every agent). A JSON list of tags, as servers.tags.
-- +goose Up
ALTER TABLE checks ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE checks DROP COLUMN tags;
