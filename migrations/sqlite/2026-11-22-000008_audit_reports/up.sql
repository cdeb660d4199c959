-- Monthly audit sign-offs (LACRIS "Audits"): a local administrator's findings on one month of
-- one agency's activity, with the signed PDF and the CSV exactly as signed off (kept five
-- years: disclosable records). Service staff mark each sign-off reviewed.
CREATE TABLE audit_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    month TEXT NOT NULL,
    findings TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    flagged_count INTEGER NOT NULL,
    pdf_path TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    csv_path TEXT NOT NULL,
    csv_sha256 TEXT NOT NULL,
    signed_off_by BIGINT NOT NULL REFERENCES users(id),
    signed_off_at TIMESTAMP NOT NULL,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TIMESTAMP,
    review_note TEXT,
    UNIQUE (agency_id, month)
);
CREATE INDEX audit_reports_month ON audit_reports (month);
