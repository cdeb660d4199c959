DROP TABLE terms_acceptances;
DROP TABLE agency_policies;
ALTER TABLE agencies DROP COLUMN suspension_reason;
ALTER TABLE agencies DROP COLUMN suspended_by;
ALTER TABLE agencies DROP COLUMN suspended_at;
