-- Due times (contract §9): when each ticket's answer to the center is due (its
-- response_due_at, else its legal start), kept beside the ticket so "what is due soon" is an
-- index range, not a parse of every ticket. Tickets received before this column read as none.
ALTER TABLE tickets ADD COLUMN due_at BIGINT;
CREATE INDEX tickets_due ON tickets (due_at);
