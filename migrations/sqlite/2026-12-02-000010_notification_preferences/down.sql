DROP TABLE notifications;
DROP TABLE notification_digests;
DROP TABLE notification_preferences;
