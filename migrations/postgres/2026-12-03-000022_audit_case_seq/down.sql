DROP INDEX audit_case_seq;
ALTER TABLE audit_records DROP COLUMN case_seq;
ALTER TABLE audit_records DROP COLUMN case_id;
