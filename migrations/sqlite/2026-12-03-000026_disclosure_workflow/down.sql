ALTER TABLE disclosures DROP COLUMN released_by;
ALTER TABLE disclosures DROP COLUMN reject_reason;
ALTER TABLE disclosures DROP COLUMN rejected_at;
ALTER TABLE disclosures DROP COLUMN rejected_by;
ALTER TABLE disclosures DROP COLUMN protective_order;
ALTER TABLE disclosures DROP COLUMN approved_by_id;
ALTER TABLE disclosures DROP COLUMN prepared_by_id;
