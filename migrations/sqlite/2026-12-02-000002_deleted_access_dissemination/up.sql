-- Deleted-case access (LAPD ALPR order "Retention and Deletion of ALPR Data": logically deleted
-- data is queried only by a system administrator, for one of the listed criteria, documented
-- and approved by a second person) and the dissemination log (NY MPTC §IV.G: results go only
-- to those with a need to know; who received what, when and why).

-- One request by a service system administrator to open one logically deleted case.
-- status: pending | approved | refused. An approved request grants access until expires_at.
CREATE TABLE deleted_access_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    requester_id BIGINT NOT NULL REFERENCES users(id),
    criterion TEXT NOT NULL,
    reference TEXT NOT NULL,
    statement TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP,
    decision_note TEXT,
    expires_at TIMESTAMP
);
CREATE INDEX deleted_access_requests_case ON deleted_access_requests (case_id, requester_id);
CREATE INDEX deleted_access_requests_status ON deleted_access_requests (status, id);

-- Every dissemination of a result packet: channel download | email | export; the recipient
-- (user id and/or address), the packet and its SHA-256, the stated purpose, who released it.
-- An email row is written when the message is queued (outbox_id); its delivery time is the
-- outbox row's sent_at.
CREATE TABLE disseminations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    packet_id TEXT NOT NULL,
    packet_sha256 TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient_user_id BIGINT REFERENCES users(id),
    recipient_address TEXT,
    purpose TEXT NOT NULL,
    released_by TEXT NOT NULL,
    outbox_id BIGINT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX disseminations_case ON disseminations (case_id, id);
