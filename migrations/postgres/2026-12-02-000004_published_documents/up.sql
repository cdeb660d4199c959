-- Published documents (issue 14 §3; shared/seeds/002: the public-records request for the
-- service's FR policy, training materials, contracts and manuals that the requester did not
-- get): documents the service's system administrators publish on the public transparency page.
-- Each change is a new version (history kept, every version stays downloadable); withdrawing
-- stamps the document (it stays listed, as withdrawn, with its history).
CREATE TABLE published_documents (
    id BIGSERIAL PRIMARY KEY,
    -- service_policy | training_outline | other
    kind TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    withdrawn_by TEXT,
    withdrawal_reason TEXT
);

-- One row per uploaded version; the PDF is content-addressed under <data_dir>/published.
CREATE TABLE published_document_versions (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES published_documents(id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    -- Who delivers the course (training course outlines only).
    provider TEXT,
    effective_date DATE NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    UNIQUE (document_id, version)
);
