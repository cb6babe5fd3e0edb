DROP INDEX report_tickets_counted;
DROP INDEX report_tickets_hours;
CREATE INDEX report_tickets_received ON report_tickets (received_at);
ALTER TABLE report_tickets DROP COLUMN received_hour;
