-- Workstations and electricity cost (issue 17): the original's power
-- category (inferred from the CPU by heartbeats unless the operator set it)
-- and idle power draw; tdp_watts exists since 00001.
-- +goose Up
ALTER TABLE servers ADD COLUMN machine_category VARCHAR(50);
ALTER TABLE servers ADD COLUMN machine_category_source VARCHAR(10);
ALTER TABLE servers ADD COLUMN idle_watts INTEGER;

-- +goose Down
ALTER TABLE servers DROP COLUMN idle_watts;
ALTER TABLE servers DROP COLUMN machine_category_source;
ALTER TABLE servers DROP COLUMN machine_category;
