DROP TABLE link_keys;
DROP TABLE deliveries;
