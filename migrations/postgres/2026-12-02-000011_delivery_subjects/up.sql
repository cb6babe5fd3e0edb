-- A delivery names what it is about: `subject` is 'alert' (alert_id, workflow_id and change
-- set) or 'missing_tickets' (reconciliation_id set). Before, a notice about missing tickets
-- kept the reconciliation's id in alert_id, an empty workflow_id and 'missing-tickets' as its
-- change.
ALTER TABLE deliveries ADD COLUMN subject TEXT NOT NULL DEFAULT 'alert';
ALTER TABLE deliveries ADD COLUMN reconciliation_id TEXT;
ALTER TABLE deliveries ALTER COLUMN alert_id DROP NOT NULL;
ALTER TABLE deliveries ALTER COLUMN workflow_id DROP NOT NULL;
ALTER TABLE deliveries ALTER COLUMN change DROP NOT NULL;
UPDATE deliveries
   SET subject = 'missing_tickets', reconciliation_id = alert_id,
       alert_id = NULL, workflow_id = NULL, change = NULL
 WHERE change = 'missing-tickets';
ALTER TABLE deliveries ALTER COLUMN subject DROP DEFAULT;
