DROP INDEX user_sessions_user;
DROP TABLE user_sessions;
