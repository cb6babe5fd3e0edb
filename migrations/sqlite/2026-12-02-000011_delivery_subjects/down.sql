CREATE TABLE deliveries_untyped (
    id TEXT PRIMARY KEY NOT NULL,
    alert_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    change TEXT NOT NULL,
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
INSERT INTO deliveries_untyped
SELECT id,
       COALESCE(alert_id, reconciliation_id),
       COALESCE(workflow_id, ''),
       CASE WHEN subject = 'missing_tickets' THEN 'missing-tickets' ELSE change END,
       user_name, channel_kind, channel, state, attempts, next_at, claimed_by, claimed_until,
       last_error, link_used_at, created_at, updated_at
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_untyped RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_by_alert ON deliveries (alert_id);
