-- Issue 17: a per-case sequence number on audit records, so a gap in a case's records (in a
-- disclosure package) shows a removal. `case_id` is the case a record is about (object type
-- `case`, `probe_search` or `packet`); `case_seq` counts that case's records 1, 2, 3… in chain
-- order, assigned at append inside the serialised append (src/audit/chain.rs).
ALTER TABLE audit_records ADD COLUMN case_id BIGINT;
ALTER TABLE audit_records ADD COLUMN case_seq BIGINT;

-- Back-fill the existing records (the append-only trigger is lifted for this one update).
ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update;
UPDATE audit_records a SET case_id = c.id FROM cases c
 WHERE a.object_type = 'case' AND a.object_id ~ '^[0-9]{1,18}$' AND c.id = a.object_id::bigint;
UPDATE audit_records a SET case_id = p.case_id FROM probe_searches p
 WHERE a.object_type = 'probe_search' AND a.object_id = p.id::text;
UPDATE audit_records a SET case_id = p.case_id FROM packets p
 WHERE a.object_type = 'packet' AND a.object_id = p.packet_id;
UPDATE audit_records a SET case_seq = n.seq
  FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY id) AS seq
          FROM audit_records WHERE case_id IS NOT NULL) n
 WHERE a.id = n.id;
ALTER TABLE audit_records ENABLE TRIGGER audit_records_no_update;

CREATE UNIQUE INDEX audit_case_seq ON audit_records(case_id, case_seq);
