DROP INDEX tickets_due;
ALTER TABLE tickets DROP COLUMN due_at;
