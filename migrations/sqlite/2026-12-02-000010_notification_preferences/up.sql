-- Staff notifications (issue 16): each user's choice per kind of notification, every
-- notification made (one per user, kind and subject event: the unique key makes a retried or
-- racing action queue it once), and the daily digests (one per user and day).
CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- e.g. "request_submitted"; see crate::domain::notification::NotificationKind.
    kind TEXT NOT NULL,
    -- "immediate", "digest" or "off" (never "off" for a compliance reminder).
    delivery TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, kind)
);
CREATE TABLE notification_digests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- The service day the digest was sent for: at most one digest per user and day.
    day DATE NOT NULL,
    outbox_id BIGINT REFERENCES outbox_messages(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, day)
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    -- The event the notification is about, e.g. "case:12:v2" or "probe_search:7:second".
    subject_key TEXT NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    -- What the email says (no probe image, no criminal-history detail) and the page it links to.
    headline TEXT NOT NULL,
    link TEXT NOT NULL,
    -- "immediate" or "digest": the user's choice when it was made.
    delivery TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The immediate email; NULL for a digest item.
    outbox_id BIGINT REFERENCES outbox_messages(id),
    -- The digest that carried it; NULL while it waits for the next daily digest.
    digest_id BIGINT REFERENCES notification_digests(id),
    UNIQUE (user_id, kind, subject_key)
);
CREATE INDEX notifications_pending_digest ON notifications (delivery, digest_id);
