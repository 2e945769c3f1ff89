-- Parity with the original HomelabCmd (issue 17): what each server's
-- agent declared it can do on its last heartbeat, comma-separated (NULL
-- before the first heartbeat, '' for an agent that can run nothing).
-- +goose Up
ALTER TABLE servers ADD COLUMN capabilities TEXT;

-- +goose Down
ALTER TABLE servers DROP COLUMN capabilities;
