-- Positive response (contract §9): a center's PositiveResponse API (URL, the member's login,
-- the station it answers for), the locate code each disposition maps to, the center's code
-- list as last fetched, and one row per response to post (written in the commit of the
-- resolution or operator's request that decides it, claimed under a lease, settled with the
-- audit event of its outcome). The password is never served or logged (see README).
CREATE TABLE response_apis (
    center TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    station TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE response_codes (
    center TEXT NOT NULL,
    disposition TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (center, disposition)
);

CREATE TABLE locate_codes (
    center TEXT NOT NULL,
    code TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (center, code)
);

CREATE TABLE responses (
    id TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL,
    center TEXT NOT NULL,
    ticket_number TEXT NOT NULL,
    station TEXT NOT NULL,
    code TEXT NOT NULL,
    note TEXT,
    account TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX responses_due ON responses (next_at) WHERE state = 'pending';
CREATE INDEX responses_by_workflow ON responses (workflow_id);
