DROP INDEX outcomes_report;
DROP INDEX outcomes_delivery;
ALTER TABLE outcomes DROP COLUMN delivery_id;
ALTER TABLE outcomes DROP COLUMN revision;
