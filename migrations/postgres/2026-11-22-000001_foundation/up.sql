-- Foundation: agencies, users, cases with versioned request forms, images,
-- decisions, timeline, audit records and the mail outbox.
CREATE TABLE agencies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    ori TEXT NOT NULL UNIQUE,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    fr_policy_date DATE,
    is_service BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    training_provider TEXT,
    training_completed DATE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    last_login TIMESTAMP,
    -- Set after 5 failed logons within 15 minutes (CJIS AC-7); cleared by an administrator.
    locked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    case_number TEXT UNIQUE,
    form_key TEXT NOT NULL UNIQUE,
    agency_id BIGINT NOT NULL REFERENCES agencies(id),
    requester_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    search_reason TEXT NOT NULL DEFAULT '',
    case_file_number TEXT NOT NULL DEFAULT '',
    reason_verdict TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP
);
CREATE INDEX cases_agency_status ON cases(agency_id, status);
CREATE INDEX cases_status_submitted ON cases(status, submitted_at);

CREATE TABLE request_versions (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL,
    form_json TEXT NOT NULL,
    submitted_at TIMESTAMP,
    signed_ip TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, version)
);

CREATE TABLE case_images (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    byte_size BIGINT NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, version, sha256)
);

CREATE TABLE decisions (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL,
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    checklist_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE timeline_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    comment TEXT
);
CREATE INDEX timeline_case ON timeline_events(case_id, at);

CREATE TABLE audit_records (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    user_id BIGINT,
    user_email TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_id BIGINT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    search_reason TEXT,
    details TEXT,
    -- Hash chain: hash = SHA-256(prev_hash | id | every field above); see src/audit/chain.rs.
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_at ON audit_records(at);
CREATE INDEX audit_agency_at ON audit_records(agency_id, at);
-- Audit records are append-only.
CREATE FUNCTION audit_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_records_no_update BEFORE UPDATE OR DELETE ON audit_records
FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

CREATE TABLE outbox_messages (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox_messages(status, next_attempt_at);
