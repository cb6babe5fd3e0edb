-- Sequence gaps (contract §9): each OneCall delivery's station and sequence number, once per
-- delivery, in arrival order, so numbers the center skipped can be found.
CREATE TABLE sequence_marks (
    center TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    station TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (center, delivery_id)
);
CREATE INDEX sequence_marks_by_station ON sequence_marks (center, station, received_at);
