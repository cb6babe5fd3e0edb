UPDATE deliveries
   SET alert_id = reconciliation_id, workflow_id = '', change = 'missing-tickets'
 WHERE subject = 'missing_tickets';
ALTER TABLE deliveries ALTER COLUMN alert_id SET NOT NULL;
ALTER TABLE deliveries ALTER COLUMN workflow_id SET NOT NULL;
ALTER TABLE deliveries ALTER COLUMN change SET NOT NULL;
ALTER TABLE deliveries DROP COLUMN reconciliation_id;
ALTER TABLE deliveries DROP COLUMN subject;
