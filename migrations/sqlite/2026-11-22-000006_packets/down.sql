ALTER TABLE outbox_messages DROP COLUMN attachment_path;
ALTER TABLE outbox_messages DROP COLUMN attachment_type;
ALTER TABLE outbox_messages DROP COLUMN attachment_name;
DROP TABLE packets;
