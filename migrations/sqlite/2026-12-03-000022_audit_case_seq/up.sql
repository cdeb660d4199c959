-- Issue 17: a per-case sequence number on audit records, so a gap in a case's records (in a
-- disclosure package) shows a removal. `case_id` is the case a record is about (object type
-- `case`, `probe_search` or `packet`); `case_seq` counts that case's records 1, 2, 3… in chain
-- order, assigned at append inside the serialised append (src/audit/chain.rs).
ALTER TABLE audit_records ADD COLUMN case_id BIGINT;
ALTER TABLE audit_records ADD COLUMN case_seq BIGINT;

-- Back-fill the existing records (the append-only trigger is lifted for this one update).
DROP TRIGGER audit_records_no_update;
UPDATE audit_records SET case_id = CAST(object_id AS INTEGER)
 WHERE object_type = 'case' AND object_id <> '' AND object_id NOT GLOB '*[^0-9]*'
   AND CAST(object_id AS INTEGER) IN (SELECT id FROM cases);
UPDATE audit_records SET case_id = (SELECT p.case_id FROM probe_searches p
                                     WHERE CAST(p.id AS TEXT) = audit_records.object_id)
 WHERE object_type = 'probe_search';
UPDATE audit_records SET case_id = (SELECT p.case_id FROM packets p
                                     WHERE p.packet_id = audit_records.object_id)
 WHERE object_type = 'packet';
UPDATE audit_records SET case_seq = (SELECT COUNT(*) FROM audit_records a
                                      WHERE a.case_id = audit_records.case_id
                                        AND a.id <= audit_records.id)
 WHERE case_id IS NOT NULL;
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

CREATE UNIQUE INDEX audit_case_seq ON audit_records(case_id, case_seq);
