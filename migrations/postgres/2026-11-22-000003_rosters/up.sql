-- Who is reached (contract §7): each user's contact channels, in order, and rosters.
-- Definitions are the domain's own JSON (workflows::roster), checked before they are written.
CREATE TABLE user_channels (
    principal_id TEXT NOT NULL REFERENCES principals(id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (principal_id, position)
);

CREATE TABLE rosters (
    name TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
