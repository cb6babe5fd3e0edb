-- Daily summaries (contract §9): each summary a center sends, reconciled against what was
-- received, kept with its result (listed but missing, received but unlisted, count mismatch).
CREATE TABLE reconciliations (
    id TEXT PRIMARY KEY NOT NULL,
    center TEXT NOT NULL,
    station TEXT NOT NULL,
    day TEXT NOT NULL,
    listed BIGINT NOT NULL,
    total BIGINT NOT NULL,
    missing TEXT NOT NULL,
    unexpected TEXT NOT NULL,
    count_mismatch BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reconciliations_by_center_day ON reconciliations (center, day);
