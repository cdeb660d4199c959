UPDATE cases SET status = 'withdrawn' WHERE status = 'result_withdrawn';
DROP TABLE case_message_attachments;
DROP TABLE case_messages;
