-- Server-side record of every login session (CJIS 5.9.5 / ASVS V3): the cookie carries a random
-- token, the database only its SHA-256. A session is valid only while its row is not ended, so
-- logging out, deactivating the account or an administrator's action ends it on the server —
-- a copied cookie stops working at once.
CREATE TABLE user_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    source_ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    end_reason TEXT
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
