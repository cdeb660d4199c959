-- Issue 18: the desk's keys, by fingerprint (never the key). Every instance compares its
-- session key, second-factor sealing key and packet-signing certificate with these rows at
-- start-up and refuses to start with a different one (src/operations/keys.rs); the first
-- instance records them; `frdesk keys accept` records a deliberate replacement.
CREATE TABLE desk_keys (
    name TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL
);
