-- Issue 17: the disclosure workflow on the case page. One person prepares a package, a second
-- approves (or rejects) its release, then it is released (files written and kept under
-- <data_dir>/disclosures/). Who acted is kept as user ids too, so "a second person" is
-- compared by account, not by spelling; the protective-order marking chosen at preparation is
-- kept for the release.
ALTER TABLE disclosures ADD COLUMN prepared_by_id BIGINT;
ALTER TABLE disclosures ADD COLUMN approved_by_id BIGINT;
ALTER TABLE disclosures ADD COLUMN protective_order BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE disclosures ADD COLUMN rejected_by TEXT;
ALTER TABLE disclosures ADD COLUMN rejected_at TIMESTAMP;
ALTER TABLE disclosures ADD COLUMN reject_reason TEXT;
ALTER TABLE disclosures ADD COLUMN released_by TEXT;
-- Packages made from the command line before this migration were prepared, approved and
-- released in one step.
UPDATE disclosures SET status = 'approved' WHERE status = 'prepared' AND approved_at IS NOT NULL;
UPDATE disclosures SET released_by = approved_by WHERE released_at IS NOT NULL;
