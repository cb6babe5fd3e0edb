-- Notifications (contract §7): one row per (alert change × user × channel), written in the
-- commit of the alert change, claimed under a lease by one node's deliverer, settled with the
-- audit event of its outcome. `channel` is the channel's definition when the change was made.
CREATE TABLE deliveries (
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
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_by_alert ON deliveries (alert_id);

-- The key acknowledgement links are signed with, shared by every node. Made once, at start-up.
CREATE TABLE link_keys (
    id TEXT PRIMARY KEY NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
