-- Parity with the original HomelabCmd (issue 17): what each server's
-- agent declared it can do on its last heartbeat, comma-separated (NULL
-- before the first heartbeat, '' for an agent that can run nothing).
-- pending_packages: the upgradable packages each agent last reported
-- (the original's table and shape). apply_updates actions: one active per
-- server, and whether the machine needs a reboot afterwards.
-- +goose Up
ALTER TABLE servers ADD COLUMN capabilities TEXT;
CREATE TABLE pending_packages (
    server_id       VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    name            VARCHAR(255) NOT NULL,
    current_version VARCHAR(100) NOT NULL,
    new_version     VARCHAR(100) NOT NULL,
    repository      VARCHAR(255) NOT NULL,
    is_security     BOOLEAN      NOT NULL,
    detected_at     DATETIME   NOT NULL,
    updated_at      DATETIME   NOT NULL,
    PRIMARY KEY (server_id, name)
);

ALTER TABLE remediation_actions ADD COLUMN reboot_required BOOLEAN;
CREATE UNIQUE INDEX uq_remediation_actions_active_updates ON remediation_actions (server_id)
    WHERE action_type = 'apply_updates' AND status IN ('pending', 'approved', 'executing');

-- +goose Down
DROP INDEX uq_remediation_actions_active_updates;
ALTER TABLE remediation_actions DROP COLUMN reboot_required;
DROP TABLE pending_packages;
ALTER TABLE servers DROP COLUMN capabilities;
