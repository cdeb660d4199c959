-- Retention of case records (logical deletion, purge), legal holds, tombstones, the audit-trail
-- anchor after an audit purge, account hygiene and quarterly access reviews.

-- Logical deletion: a hidden case is seen only by administrators who state a reason.
-- Purge: images, candidate data and packets removed; a tombstone row is kept.
ALTER TABLE cases ADD COLUMN hidden_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN purged_at TIMESTAMP;

-- Why an account was last deactivated (left the agency, idle, access review); the time is in
-- the audit record. (The users table stays within 16 columns.)
ALTER TABLE users ADD COLUMN deactivated_reason TEXT;
-- When a disabled account was enabled again: the idle rule counts from here too.
ALTER TABLE users ADD COLUMN reactivated_at TIMESTAMP;
-- When the local administrators were told the examiner's training lapsed (once per lapse).
ALTER TABLE users ADD COLUMN training_lapse_notified_at TIMESTAMP;

-- Legal holds (LAPD ALPR order: DR or case number, reason, who asked). While a hold is not
-- lifted the case is neither logically deleted nor purged.
CREATE TABLE legal_holds (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    reference TEXT NOT NULL,
    reason TEXT NOT NULL,
    placed_by BIGINT NOT NULL REFERENCES users(id),
    placed_at TIMESTAMP NOT NULL,
    lifted_by BIGINT REFERENCES users(id),
    lifted_at TIMESTAMP,
    lift_reason TEXT
);
CREATE INDEX legal_holds_case ON legal_holds(case_id);

-- What is left of a purged case.
CREATE TABLE case_tombstones (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    case_number TEXT NOT NULL,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    last_activity_at TIMESTAMP NOT NULL,
    hidden_at TIMESTAMP NOT NULL,
    purged_at TIMESTAMP NOT NULL,
    -- JSON: counts of image files, packets, probe searches and examinations removed
    purged TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- After audit records older than the retention period are purged, the chain starts here:
-- the first remaining record's prev_hash equals last_hash.
CREATE TABLE audit_anchors (
    id BIGSERIAL PRIMARY KEY,
    purged_through_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    cutoff TIMESTAMP NOT NULL,
    records_purged BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE ON audit_anchors
FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

-- DELETE of an audit record is allowed only inside the retention purge's transaction
-- (SET LOCAL frdesk.retention_purge = 'on' and frdesk.retention_cutoff) and only for records
-- older than that cutoff. UPDATE is always refused.
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_records'
       AND current_setting('frdesk.retention_purge', true) = 'on'
       AND OLD.at < NULLIF(current_setting('frdesk.retention_cutoff', true), '')::timestamp THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% are append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

-- Quarterly access reviews (LACRIS; CJIS AC-2): one row per review, one item per user.
CREATE TABLE access_reviews (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    quarter TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE access_review_items (
    id BIGSERIAL PRIMARY KEY,
    review_id BIGINT NOT NULL REFERENCES access_reviews(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    roles TEXT NOT NULL,
    training TEXT NOT NULL,
    last_login TIMESTAMP,
    -- confirm | revoke
    decision TEXT NOT NULL
);
CREATE INDEX access_review_items_review ON access_review_items(review_id);
