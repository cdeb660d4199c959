-- Issue 18, several instances on one database: jobs and outbox messages are claimed under a
-- lease (src/platform/jobs/queue.rs, src/platform/mail/outbox.rs). `lease_until` (UTC) is when
-- the holder's claim lapses unless renewed; a row whose lease lapsed may be claimed by any
-- instance. Every claim adds 1 to `lease_epoch`, and a result is recorded only under the epoch
-- of the claim that produced it. A job left `running` without a lease (claimed before this
-- migration) counts as lapsed.
ALTER TABLE jobs ADD COLUMN lease_until TIMESTAMP;
ALTER TABLE jobs ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox_messages ADD COLUMN lease_until TIMESTAMP;
ALTER TABLE outbox_messages ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;
