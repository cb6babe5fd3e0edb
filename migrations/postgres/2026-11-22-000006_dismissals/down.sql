ALTER TABLE dead_letters DROP COLUMN dismiss_reason;
ALTER TABLE dead_letters DROP COLUMN dismissed_by;
ALTER TABLE dead_letters DROP COLUMN dismissed_at;
