DROP TABLE access_review_items;
DROP TABLE access_reviews;
DROP TRIGGER audit_records_no_delete;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
DROP TABLE audit_purge_permits;
DROP TABLE audit_anchors;
DROP TABLE case_tombstones;
DROP TABLE legal_holds;
ALTER TABLE users DROP COLUMN training_lapse_notified_at;
ALTER TABLE users DROP COLUMN reactivated_at;
ALTER TABLE users DROP COLUMN deactivated_reason;
ALTER TABLE cases DROP COLUMN purged_at;
ALTER TABLE cases DROP COLUMN hidden_at;
