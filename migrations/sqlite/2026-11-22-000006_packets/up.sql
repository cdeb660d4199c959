-- Signed result packets. A packet is never edited: a changed result gets a new version and the
-- earlier one is marked superseded (or the result withdrawn). The PDF itself lives in
-- <data_dir>/packets/<packet_id>.pdf; file_sha256 ties the row to the exact bytes.
CREATE TABLE packets (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    packet_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    -- possible_lead | no_lead
    result TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    signer_fingerprint TEXT NOT NULL,
    -- why it was issued: the conclusion of the examination, or the reason for a re-issue
    reason TEXT NOT NULL,
    issued_by BIGINT REFERENCES users(id),
    issued_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP,
    superseded_reason TEXT,
    UNIQUE (case_id, version)
);
CREATE INDEX packets_case ON packets(case_id);

-- One optional attachment per message, read from <data_dir>/<attachment_path> when sent.
ALTER TABLE outbox_messages ADD COLUMN attachment_name TEXT;
ALTER TABLE outbox_messages ADD COLUMN attachment_type TEXT;
ALTER TABLE outbox_messages ADD COLUMN attachment_path TEXT;
