-- Issue 17: disclosure packages for court (src/disclosure/). One row per package made: the
-- legal basis, whether non-lead candidates are redacted (and the order that allowed an
-- unredacted one), the salt of the redaction hashes (kept by the desk so it can later show
-- which gallery record a hash stands for), the files' SHA-256, who prepared and approved it.
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    disclosure_id TEXT NOT NULL UNIQUE,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    basis TEXT NOT NULL,
    redacted BOOLEAN NOT NULL,
    order_reference TEXT,
    salt TEXT NOT NULL,
    status TEXT NOT NULL,
    prepared_by TEXT NOT NULL,
    prepared_at TIMESTAMP NOT NULL,
    approved_by TEXT,
    approved_at TIMESTAMP,
    released_at TIMESTAMP,
    pdf_sha256 TEXT,
    zip_sha256 TEXT,
    manifest_sha256 TEXT
);
CREATE INDEX disclosures_case ON disclosures(case_id, id);
