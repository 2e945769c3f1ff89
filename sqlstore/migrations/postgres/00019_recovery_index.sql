-- The recovery hold (issue 14): a clock job resolves alerts whose short
-- outage has held its recovery; this partial index keeps its query to the
-- few rule states with a recovery pending.
-- +goose Up
CREATE INDEX idx_alert_rule_state_recovered ON alert_rule_state (recovered_at) WHERE recovered_at IS NOT NULL;

-- +goose Down
DROP INDEX idx_alert_rule_state_recovered;
