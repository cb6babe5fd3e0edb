-- Aegis schema, SQLite. Times are microseconds since the Unix epoch (BIGINT) on both backends,
-- so the same queries serve both and event hashes cover exactly what is stored.

CREATE TABLE centers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Several secrets per center at once, so a center can rotate without a gap.
CREATE TABLE center_secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id BIGINT NOT NULL REFERENCES centers(id),
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX center_secrets_center ON center_secrets(center_id);

CREATE TABLE tickets (
    workflow_id TEXT PRIMARY KEY NOT NULL,
    center_id BIGINT NOT NULL REFERENCES centers(id),
    ticket_number TEXT NOT NULL,
    revision BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    format TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    ticket_json TEXT NOT NULL,
    raw_payload BLOB NOT NULL,
    content_type TEXT NOT NULL,
    excavator_key TEXT,
    received_at BIGINT NOT NULL,
    UNIQUE (center_id, ticket_number, revision),
    UNIQUE (center_id, delivery_id)
);

CREATE TABLE workflows (
    id TEXT PRIMARY KEY NOT NULL,
    center_id BIGINT NOT NULL REFERENCES centers(id),
    center TEXT NOT NULL,
    ticket_number TEXT NOT NULL,
    revision BIGINT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    aggregate TEXT NOT NULL,
    band TEXT,
    last_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX workflows_state_updated ON workflows(state, updated_at);
CREATE INDEX workflows_center_ticket ON workflows(center, ticket_number);
CREATE INDEX workflows_created ON workflows(created_at, id);

CREATE TABLE events (
    workflow_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    event TEXT NOT NULL,
    principal TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, seq)
);
-- The audit trail is append-only.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE scores (
    workflow_id TEXT PRIMARY KEY NOT NULL,
    probability DOUBLE NOT NULL,
    band TEXT NOT NULL,
    model_version TEXT NOT NULL,
    top_features TEXT NOT NULL,
    features TEXT NOT NULL,
    scored_at BIGINT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL UNIQUE,
    center TEXT NOT NULL,
    ticket_number TEXT NOT NULL,
    state TEXT NOT NULL,
    tier BIGINT NOT NULL,
    ack_deadline BIGINT,
    raised_at BIGINT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    resolved_by TEXT,
    resolved_at BIGINT,
    disposition TEXT,
    note TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX alerts_state_raised ON alerts(state, raised_at);
CREATE INDEX alerts_raised ON alerts(raised_at, id);

CREATE TABLE timers (
    id TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT
);
CREATE INDEX timers_due ON timers(due_at);
CREATE INDEX timers_workflow ON timers(workflow_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT
);

CREATE TABLE dead_letters (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    format TEXT,
    center TEXT,
    workflow_id TEXT,
    error TEXT NOT NULL,
    payload BLOB NOT NULL,
    content_type TEXT,
    created_at BIGINT NOT NULL,
    redriven_at BIGINT,
    redriven_by TEXT
);
CREATE INDEX dead_letters_created ON dead_letters(created_at, id);

CREATE TABLE excavators (
    key TEXT PRIMARY KEY NOT NULL,
    tickets BIGINT NOT NULL DEFAULT 0,
    damages BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE outcomes (
    id TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT,
    center TEXT NOT NULL,
    ticket_number TEXT NOT NULL,
    damage BOOLEAN NOT NULL,
    facility TEXT,
    reported_at BIGINT NOT NULL,
    notes TEXT,
    recorded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outcomes_ticket ON outcomes(center, ticket_number);

CREATE TABLE principals (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE models (
    version TEXT PRIMARY KEY NOT NULL,
    path TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Labelled feature rows for training: synthetic history (`aegis generate --db`) and, later,
-- anything else that is not a live ticket.
CREATE TABLE training_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    features TEXT NOT NULL,
    label BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
