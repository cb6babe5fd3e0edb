-- The console (contract §8): users sign in with a password (Argon2id, set with
-- `aegis users set-password`), and a signed-in browser holds a session. Only hashes are stored:
-- the session id's SHA-256, and the password's Argon2id string.
ALTER TABLE principals ADD COLUMN password_hash TEXT;

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    principal_id TEXT NOT NULL REFERENCES principals(id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_principal ON sessions (principal_id);
