-- Who acknowledged or resolved an alert by hand (the audit name of the
-- request's principal); NULL for the rules and for older rows.
-- +goose Up
ALTER TABLE alerts ADD COLUMN acknowledged_by VARCHAR(255);
ALTER TABLE alerts ADD COLUMN resolved_by VARCHAR(255);

-- +goose Down
ALTER TABLE alerts DROP COLUMN resolved_by;
ALTER TABLE alerts DROP COLUMN acknowledged_by;
