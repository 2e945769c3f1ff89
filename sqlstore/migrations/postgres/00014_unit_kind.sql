-- Containers (issue 12): one model for what must run. Expected units,
-- their history and current status get a kind ('systemd' | 'container'),
-- and a unit is unique per (server, kind, name). service_current_status
-- also keeps a container's facts as JSON in detail. Container actions get
-- the same "one active per unit" guarantee as service restarts.
-- +goose Up
ALTER TABLE expected_services ADD COLUMN kind VARCHAR(20) NOT NULL DEFAULT 'systemd';
ALTER TABLE expected_services DROP CONSTRAINT uq_server_service_name;
ALTER TABLE expected_services ADD CONSTRAINT uq_server_kind_service_name UNIQUE (server_id, kind, service_name);

ALTER TABLE service_current_status ADD COLUMN kind VARCHAR(20) NOT NULL DEFAULT 'systemd';
ALTER TABLE service_current_status ADD COLUMN detail TEXT;
ALTER TABLE service_current_status DROP CONSTRAINT service_current_status_pkey;
ALTER TABLE service_current_status ADD PRIMARY KEY (server_id, kind, service_name);

ALTER TABLE service_status ADD COLUMN kind VARCHAR(20) NOT NULL DEFAULT 'systemd';

CREATE UNIQUE INDEX uq_remediation_actions_active_container ON remediation_actions (server_id, service_name)
    WHERE action_type IN ('restart_container', 'start_container', 'stop_container') AND status IN ('pending', 'approved', 'executing');

-- +goose Down
DROP INDEX uq_remediation_actions_active_container;
DELETE FROM service_status WHERE kind <> 'systemd';
ALTER TABLE service_status DROP COLUMN kind;
DELETE FROM service_current_status WHERE kind <> 'systemd';
ALTER TABLE service_current_status DROP CONSTRAINT service_current_status_pkey;
ALTER TABLE service_current_status ADD PRIMARY KEY (server_id, service_name);
ALTER TABLE service_current_status DROP COLUMN detail;
ALTER TABLE service_current_status DROP COLUMN kind;
DELETE FROM expected_services WHERE kind <> 'systemd';
ALTER TABLE expected_services DROP CONSTRAINT uq_server_kind_service_name;
ALTER TABLE expected_services ADD CONSTRAINT uq_server_service_name UNIQUE (server_id, service_name);
ALTER TABLE expected_services DROP COLUMN kind;
