-- Outcomes are idempotent: a replayed report must not count twice (each damage also adds to
-- the excavator's history, a model input). The revision an outcome was recorded against and
-- the delivery id of a signed report become part of the record.
ALTER TABLE outcomes ADD COLUMN revision BIGINT;
ALTER TABLE outcomes ADD COLUMN delivery_id TEXT;
UPDATE outcomes SET revision = (SELECT w.revision FROM workflows w WHERE w.id = outcomes.workflow_id);
-- Replays recorded before this migration: keep the first of each.
DELETE FROM outcomes WHERE revision IS NOT NULL AND id NOT IN (
    SELECT MIN(id) FROM outcomes WHERE revision IS NOT NULL
    GROUP BY center, ticket_number, revision, reported_at
);
CREATE UNIQUE INDEX outcomes_delivery ON outcomes(center, delivery_id);
CREATE UNIQUE INDEX outcomes_report ON outcomes(center, ticket_number, revision, reported_at);
