-- Applying a configuration pack (issue 20) is an action through the
-- approval queue, carried out by the hub over SSH: one active per server,
-- and its per-item result with the compliance check after it. A subnet
-- sweep says how it probed (tcp, or tcp+icmp when the hub may send ICMP).
-- +goose Up
CREATE UNIQUE INDEX uq_remediation_actions_active_pack_apply ON remediation_actions (server_id)
    WHERE action_type = 'apply_config_pack' AND status IN ('pending', 'approved', 'executing');
CREATE TABLE config_applies (
    action_id   BIGINT       PRIMARY KEY REFERENCES remediation_actions (id) ON DELETE CASCADE,
    server_id   VARCHAR(100) NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    pack        VARCHAR(64)  NOT NULL,
    result      TEXT         NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE discoveries ADD COLUMN method VARCHAR(40);

-- +goose Down
ALTER TABLE discoveries DROP COLUMN method;
DROP TABLE config_applies;
DROP INDEX uq_remediation_actions_active_pack_apply;
