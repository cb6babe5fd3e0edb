DROP INDEX events_cleared;
DROP TABLE screenings;
DROP TABLE screening_generation;
DROP TABLE auto_clear;
DROP TABLE facility_coverage;
DROP TABLE facilities;
DROP TABLE facility_versions;
DROP TABLE facility_layers;
