ALTER TABLE outbox_messages DROP COLUMN lease_epoch;
ALTER TABLE outbox_messages DROP COLUMN lease_until;
ALTER TABLE jobs DROP COLUMN lease_epoch;
ALTER TABLE jobs DROP COLUMN lease_until;
