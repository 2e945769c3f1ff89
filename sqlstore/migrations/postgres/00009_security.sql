-- Security fixes from the review (issue 19). A dashboard session remembers
-- which operator credential created it (a hash of the key's hash), so
-- rotating the key ends every session made with the old one; sessions from
-- before this migration have none and end too. A registration token may
-- adopt a server that already exists only when the operator said so.
-- +goose Up
ALTER TABLE web_sessions ADD COLUMN credential_hash VARCHAR(64);
ALTER TABLE registration_tokens ADD COLUMN allow_existing BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE registration_tokens DROP COLUMN allow_existing;
ALTER TABLE web_sessions DROP COLUMN credential_hash;
