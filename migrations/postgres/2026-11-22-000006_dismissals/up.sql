-- A dead letter an operator decides not to redrive (a conflicting revision the center sent by
-- mistake, a payload that will never be a ticket) is dismissed: kept, with who and why, and no
-- longer counted as waiting.
ALTER TABLE dead_letters ADD COLUMN dismissed_at BIGINT;
ALTER TABLE dead_letters ADD COLUMN dismissed_by TEXT;
ALTER TABLE dead_letters ADD COLUMN dismiss_reason TEXT;
