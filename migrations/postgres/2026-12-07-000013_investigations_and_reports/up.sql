-- Damage investigations (contract §14): one row per event per facility, on a ticket's
-- workflow; every create, edit and close is also an event on that workflow's trail.
CREATE TABLE investigations (
    id TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL REFERENCES workflows(id),
    center TEXT NOT NULL,
    ticket_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    facility_class TEXT NOT NULL,
    facility_layer TEXT,
    facility_feature_id TEXT,
    root_cause TEXT,
    root_cause_group TEXT,
    excavator_type TEXT,
    excavator TEXT,
    excavator_key TEXT,
    equipment TEXT,
    work_type TEXT,
    method TEXT,
    marks TEXT,
    response_on_time BOOLEAN,
    downtime_hours DOUBLE PRECISION,
    cost_usd DOUBLE PRECISION,
    at_fault TEXT,
    narrative TEXT,
    opened_by TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_by TEXT,
    closed_at BIGINT,
    version BIGINT NOT NULL
);
CREATE INDEX investigations_occurred ON investigations (occurred_at, id);
CREATE INDEX investigations_workflow ON investigations (workflow_id);

-- What the reports (contract §15) count of each ticket, one narrow row per workflow: written
-- with the ticket at intake, its screening category, automatic clearing and answer to the
-- center filled in by the commits that record them. A year of a large center's tickets is
-- read in one range scan instead of parsing each ticket's JSON.
CREATE TABLE report_tickets (
    workflow_id TEXT PRIMARY KEY NOT NULL,
    center TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    ticket_type TEXT NOT NULL,
    counted BOOLEAN NOT NULL,
    work_type TEXT,
    method TEXT,
    excavator_key TEXT,
    excavator TEXT,
    legal_start_at BIGINT,
    due_at BIGINT,
    dug_early BOOLEAN NOT NULL,
    category TEXT,
    cleared BOOLEAN NOT NULL,
    answered_at BIGINT
);
CREATE INDEX report_tickets_received ON report_tickets (received_at);

-- Tickets received before this migration, read back from their stored JSON (the work type is
-- guessed only for new tickets: it is left unknown here).
INSERT INTO report_tickets (workflow_id, center, received_at, ticket_type, counted, work_type,
    method, excavator_key, excavator, legal_start_at, due_at, dug_early, category, cleared,
    answered_at)
SELECT t.workflow_id, w.center, t.received_at,
    COALESCE(t.ticket_json::jsonb ->> 'type', 'normal'),
    COALESCE(t.ticket_json::jsonb ->> 'type', 'normal') NOT IN ('cancel', 'design')
        AND COALESCE((t.ticket_json::jsonb ->> 'is_test')::boolean, false) = false,
    NULL,
    t.ticket_json::jsonb -> 'work' ->> 'method',
    t.excavator_key,
    COALESCE(t.ticket_json::jsonb -> 'excavator' ->> 'company',
             t.ticket_json::jsonb -> 'excavator' ->> 'name'),
    (EXTRACT(EPOCH FROM (t.ticket_json::jsonb ->> 'legal_start_at')::timestamptz) * 1000000)::bigint,
    t.due_at,
    COALESCE((t.ticket_json::jsonb ->> 'work_begin_at')::timestamptz
        < (t.ticket_json::jsonb ->> 'legal_start_at')::timestamptz, false),
    s.category,
    EXISTS (SELECT 1 FROM events e WHERE e.workflow_id = t.workflow_id AND e.event = 'cleared'),
    (SELECT MAX(r.updated_at) FROM responses r
        WHERE r.workflow_id = t.workflow_id AND r.state = 'posted')
FROM tickets t
JOIN workflows w ON w.id = t.workflow_id
LEFT JOIN screenings s ON s.workflow_id = t.workflow_id;
