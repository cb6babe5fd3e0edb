DROP TABLE sessions;
ALTER TABLE principals DROP COLUMN password_hash;
