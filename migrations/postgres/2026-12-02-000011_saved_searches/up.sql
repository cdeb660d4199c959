-- Finding and exporting (issue 16). A user's saved history searches: a name, the free text and
-- the order; rerun from the search page, deleted by their owner only.
CREATE TABLE saved_searches (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    query_text TEXT NOT NULL,
    -- A history Sort: relevance, newest, oldest, case_number.
    sort TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saved_searches_user_name ON saved_searches (user_id, name);
-- The audit trail page filters by action, user and object and pages by id (keyset).
CREATE INDEX audit_action_id ON audit_records (action, id);
CREATE INDEX audit_user_id ON audit_records (user_id, id);
CREATE INDEX audit_object ON audit_records (object_type, object_id);
CREATE INDEX audit_agency_id ON audit_records (agency_id, id);
