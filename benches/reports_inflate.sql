-- benches/reports.sh: a replayed month copied eleven times, each copy thirty days further back,
-- so the reports read a year of about a million tickets with the month's mix (types, screening,
-- excavators, alert delays, investigations). Copies get new keys (`<key>:<n>`); a copied
-- investigation stays on its original workflow (the table's foreign key), so the DIRT export
-- reads the same places.
-- The same SQL on SQLite and PostgreSQL.
WITH k(n) AS (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11))
INSERT INTO report_tickets (workflow_id, center, received_at, ticket_type, counted, work_type,
  method, excavator_key, excavator, legal_start_at, due_at, dug_early, category, cleared,
  answered_at, received_hour)
SELECT workflow_id || ':' || n, center, received_at - n * 2592000000000, ticket_type, counted,
  work_type, method, excavator_key, excavator, legal_start_at - n * 2592000000000,
  due_at - n * 2592000000000, dug_early, category, cleared, answered_at - n * 2592000000000,
  received_hour - n * 720
FROM report_tickets, k;

WITH k(n) AS (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11))
INSERT INTO alerts (id, workflow_id, center, ticket_number, state, tier, ack_deadline, raised_at,
  acknowledged_by, acknowledged_at, resolved_by, resolved_at, disposition, note, updated_at)
SELECT id || ':' || n, workflow_id || ':' || n, center, ticket_number, state, tier,
  ack_deadline - n * 2592000000000, raised_at - n * 2592000000000, acknowledged_by,
  acknowledged_at - n * 2592000000000, resolved_by, resolved_at - n * 2592000000000,
  disposition, note, updated_at - n * 2592000000000
FROM alerts, k;

WITH k(n) AS (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11))
INSERT INTO investigations (id, workflow_id, center, ticket_number, kind, state, occurred_at,
  facility_class, facility_layer, facility_feature_id, root_cause, root_cause_group,
  excavator_type, excavator, excavator_key, equipment, work_type, method, marks,
  response_on_time, downtime_hours, cost_usd, at_fault, narrative, opened_by, opened_at,
  updated_at, closed_by, closed_at, version)
SELECT id || ':' || n, workflow_id, center, ticket_number, kind, state,
  occurred_at - n * 2592000000000, facility_class, facility_layer, facility_feature_id,
  root_cause, root_cause_group, excavator_type, excavator, excavator_key, equipment, work_type,
  method, marks, response_on_time, downtime_hours, cost_usd, at_fault, narrative, opened_by,
  opened_at - n * 2592000000000, updated_at - n * 2592000000000, closed_by,
  closed_at - n * 2592000000000, version
FROM investigations, k;
