-- The reports group a year of tickets by hour of receipt in one pass over an index that holds
-- every column they count (no temporary B-tree, no table lookups): a million tickets are
-- counted in about half a second on SQLite, where grouping by day computed from received_at
-- took nearly two (benches/reports.sh). Hours become days in the application, in the zone asked.
ALTER TABLE report_tickets ADD COLUMN received_hour BIGINT NOT NULL DEFAULT 0;
UPDATE report_tickets SET received_hour = received_at / 3600000000;
CREATE INDEX report_tickets_hours ON report_tickets
    (received_hour, ticket_type, category, cleared, counted, center, due_at, answered_at, received_at);
-- The breakdowns (work type, method, the excavator scorecard) read only excavation tickets.
CREATE INDEX report_tickets_counted ON report_tickets
    (counted, received_hour, received_at, center, work_type, method, excavator_key, excavator, dug_early);
-- Both cover what the received_at index served.
DROP INDEX report_tickets_received;
