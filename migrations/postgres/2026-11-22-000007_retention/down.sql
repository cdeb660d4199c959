DROP TABLE access_review_items;
DROP TABLE access_reviews;
DROP TABLE audit_anchors;
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TABLE case_tombstones;
DROP TABLE legal_holds;
ALTER TABLE users DROP COLUMN training_lapse_notified_at;
ALTER TABLE users DROP COLUMN reactivated_at;
ALTER TABLE users DROP COLUMN deactivated_reason;
ALTER TABLE cases DROP COLUMN purged_at;
ALTER TABLE cases DROP COLUMN hidden_at;
