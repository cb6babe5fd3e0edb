-- A delivery names what it is about: `subject` is 'alert' (alert_id, workflow_id and change
-- set) or 'missing_tickets' (reconciliation_id set). Before, a notice about missing tickets
-- kept the reconciliation's id in alert_id, an empty workflow_id and 'missing-tickets' as its
-- change. SQLite cannot relax NOT NULL in place, so the table is rebuilt.
CREATE TABLE deliveries_typed (
    id TEXT PRIMARY KEY NOT NULL,
    subject TEXT NOT NULL,
    alert_id TEXT,
    workflow_id TEXT,
    change TEXT,
    reconciliation_id TEXT,
    user_name TEXT NOT NULL,
    channel_kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    link_used_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO deliveries_typed
SELECT id,
       CASE WHEN change = 'missing-tickets' THEN 'missing_tickets' ELSE 'alert' END,
       CASE WHEN change = 'missing-tickets' THEN NULL ELSE alert_id END,
       CASE WHEN change = 'missing-tickets' THEN NULL ELSE workflow_id END,
       CASE WHEN change = 'missing-tickets' THEN NULL ELSE change END,
       CASE WHEN change = 'missing-tickets' THEN alert_id ELSE NULL END,
       user_name, channel_kind, channel, state, attempts, next_at, claimed_by, claimed_until,
       last_error, link_used_at, created_at, updated_at
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_typed RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_by_alert ON deliveries (alert_id);
