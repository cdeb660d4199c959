-- Agency documents (LACRIS FR Policy, preface: an agency without its own FR policy has its
-- access suspended until one is in place): the policy PDF with its effective date, the
-- service's suspension of an agency, and each agency's acceptance of the terms of use.
--
-- agencies.fr_policy_date stays: it is the effective date of the policy on file (kept equal to
-- the current agency_policies row by upload and clear). An agency that had only a date before
-- this migration keeps a date-only record (no document).
ALTER TABLE agencies ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE agencies ADD COLUMN suspended_by TEXT;
ALTER TABLE agencies ADD COLUMN suspension_reason TEXT;

-- One row per upload; a replacement is a new row (history kept); clearing stamps the current
-- row. The current policy is the newest row, unless it is cleared.
CREATE TABLE agency_policies (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    effective_date DATE NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    cleared_at TIMESTAMP,
    cleared_by TEXT
);
CREATE INDEX agency_policies_agency ON agency_policies (agency_id, id);

-- Who accepted which version of the terms of use (docs/TERMS_OF_USE.md) for an agency.
CREATE TABLE terms_acceptances (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    version TEXT NOT NULL,
    accepted_by TEXT NOT NULL,
    accepted_at TIMESTAMP NOT NULL
);
CREATE INDEX terms_acceptances_agency ON terms_acceptances (agency_id, version);
