-- Messages on a case (issue 16): a thread between the requesting agency and the service's
-- reviewers. Plain text; optional image attachments stored content-addressed in the image
-- store like probe images, but in a table of their own, so an attachment is never a probe.
CREATE TABLE case_messages (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    -- "agency" (the requesting agency) or "service" (the service's staff).
    side TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id);
CREATE TABLE case_message_attachments (
    id BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES case_messages(id),
    case_id BIGINT NOT NULL REFERENCES cases(id),
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    original_name TEXT NOT NULL,
    UNIQUE (message_id, sha256)
);
CREATE INDEX case_message_attachments_case ON case_message_attachments (case_id, sha256);
-- A withdrawn result is a state of its own ("result_withdrawn"), apart from a request the
-- requester withdrew ("withdrawn"): every case withdrawn so far whose packet was withdrawn.
UPDATE cases SET status = 'result_withdrawn'
 WHERE status = 'withdrawn' AND EXISTS (SELECT 1 FROM packets WHERE packets.case_id = cases.id);
