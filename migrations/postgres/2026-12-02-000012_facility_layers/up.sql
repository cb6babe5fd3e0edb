-- What is buried (contract §10). A layer is a name with its class and zones and the version
-- that screens; each import is a new version (who, when, the source's hash, counts, extent)
-- whose features are rows of WKB in WGS 84 longitude/latitude, written in one transaction with
-- the version and the layer's switch to it, so a node never sees half a version. Versions are
-- never deleted: a screening names the version it used. `screening_generation` is bumped by
-- every change that alters what screens (an import, a retirement, the coverage, a center's
-- automatic clearing), so each node notices with one small read.
CREATE TABLE facility_layers (
    name TEXT PRIMARY KEY NOT NULL,
    class TEXT NOT NULL,
    buffer_ft DOUBLE PRECISION NOT NULL,
    close_ft DOUBLE PRECISION NOT NULL,
    active_version BIGINT,
    retired_by TEXT,
    retired_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE facility_versions (
    layer TEXT NOT NULL,
    version BIGINT NOT NULL,
    class TEXT NOT NULL,
    buffer_ft DOUBLE PRECISION NOT NULL,
    close_ft DOUBLE PRECISION NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    source_format TEXT NOT NULL,
    source_crs TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    source_bytes BIGINT NOT NULL,
    features BIGINT NOT NULL,
    vertices BIGINT NOT NULL,
    min_lon DOUBLE PRECISION NOT NULL,
    min_lat DOUBLE PRECISION NOT NULL,
    max_lon DOUBLE PRECISION NOT NULL,
    max_lat DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (layer, version)
);

CREATE TABLE facilities (
    layer TEXT NOT NULL,
    version BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    feature_id TEXT NOT NULL,
    geometry BYTEA NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (layer, version, seq)
);

-- The mapped coverage operators set (a GeoJSON MultiPolygon); absent: the layers' extents.
CREATE TABLE facility_coverage (
    id BIGINT PRIMARY KEY NOT NULL,
    multipolygon TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);

CREATE TABLE auto_clear (
    center TEXT PRIMARY KEY NOT NULL,
    enabled BOOLEAN NOT NULL,
    ticket_types TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);

CREATE TABLE screening_generation (
    id BIGINT PRIMARY KEY NOT NULL,
    generation BIGINT NOT NULL
);
INSERT INTO screening_generation (id, generation) VALUES (1, 0);

-- Each workflow's screening, whole (the trail keeps a summary), for the read-back and the map.
CREATE TABLE screenings (
    workflow_id TEXT PRIMARY KEY NOT NULL,
    category TEXT NOT NULL,
    screening TEXT NOT NULL,
    screened_at BIGINT NOT NULL
);
CREATE INDEX screenings_by_category ON screenings (category, workflow_id);

-- Tickets cleared by screening, counted per day for operators.
CREATE INDEX events_cleared ON events (at) WHERE event = 'cleared';
