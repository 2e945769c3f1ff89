-- Agent upgrades from the hub (issue 13): action type 'upgrade_agent', at
-- most one active per server, like restarts per service.
-- +goose Up
CREATE UNIQUE INDEX uq_remediation_actions_active_upgrade ON remediation_actions (server_id)
    WHERE action_type = 'upgrade_agent' AND status IN ('pending', 'approved', 'executing');

-- +goose Down
DROP INDEX uq_remediation_actions_active_upgrade;
